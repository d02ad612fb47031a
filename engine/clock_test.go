package engine_test

import (
	"sync"
	"testing"
	"time"
)

// fakeClock moves only when told to; After channels fire as it passes
// their deadlines. A waiter's deadline counts from the time it is armed,
// so a test must not advance the clock before the code under test is
// waiting: BlockUntil waits for that instead of a sleep.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []clockWaiter
	armed   chan struct{} // closed and replaced whenever a waiter is armed
}

type clockWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Unix(1_800_000_000, 0), armed: make(chan struct{})}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, clockWaiter{at: c.now.Add(d), ch: ch})
	close(c.armed)
	c.armed = make(chan struct{})
	return ch
}

// Advance moves the clock by d and fires what came due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// Waiters is the number of armed waiters that have not fired. A fired or
// abandoned one stops counting once it fires: callers count the waiters
// they expect, not those of an earlier phase.
func (c *fakeClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// BlockUntil waits until at least n waiters are armed, failing the test
// after 5 s (the code under test never got to wait).
func (c *fakeClock) BlockUntil(t testing.TB, n int) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		have, armed := len(c.waiters), c.armed
		c.mu.Unlock()
		if have >= n {
			return
		}
		select {
		case <-armed:
		case <-timeout:
			t.Fatalf("fake clock: %d waiters armed after 5s, want %d", have, n)
		}
	}
}

func TestFakeClockBlockUntil(t *testing.T) {
	c := newFakeClock()
	fired := make(chan time.Time, 1)
	go func() { fired <- <-c.After(time.Minute) }()
	// Without BlockUntil, an Advance racing the goroutine could land before
	// After and the waiter would never fire.
	c.BlockUntil(t, 1)
	c.Advance(time.Minute)
	select {
	case got := <-fired:
		if want := time.Unix(1_800_000_000, 0).Add(time.Minute); !got.Equal(want) {
			t.Errorf("fired at %v, want %v", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiter did not fire")
	}
	if n := c.Waiters(); n != 0 {
		t.Errorf("%d waiters after firing, want 0", n)
	}
	if got := <-c.After(0); !got.Equal(c.Now()) {
		t.Errorf("After(0) fired at %v, want now", got)
	}
}
