package asynctest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda/async"
)

// FakeClock moves only when told to. Tests wait for the queue to go to
// sleep on it (BlockUntil, WaitTimer) instead of sleeping themselves.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	armed  chan struct{} // closed and replaced whenever a timer is armed
}

var _ async.Clock = (*FakeClock)(nil)

// NewFakeClock returns a clock stopped at now.
func NewFakeClock(now time.Time) *FakeClock {
	return &FakeClock{now: now, armed: make(chan struct{})}
}

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// TimerAt returns a timer firing once the clock reaches at.
func (c *FakeClock) TimerAt(at time.Time) async.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clock: c, at: at, c: make(chan time.Time, 1)}
	if !at.After(c.now) {
		t.fired = true
		t.c <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	close(c.armed)
	c.armed = make(chan struct{})
	return t
}

// Advance moves the clock by d and fires the timers that came due.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.timers = slices.DeleteFunc(c.timers, func(t *fakeTimer) bool {
		if t.fired {
			return true
		}
		if !t.at.After(c.now) {
			t.fired = true
			t.c <- c.now
			return true
		}
		return false
	})
}

// Timers returns when each pending timer fires, earliest first.
func (c *FakeClock) Timers() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Time
	for _, t := range c.timers {
		if !t.fired {
			out = append(out, t.at)
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// BlockUntil waits until at least n timers are pending, failing the test
// after waitLimit.
func (c *FakeClock) BlockUntil(t testing.TB, n int) {
	t.Helper()
	c.waitFor(t, func(pending []time.Time) bool { return len(pending) >= n }, "%d pending timers", n)
}

// WaitTimer waits until a timer is pending for exactly at: the queue went
// to sleep until then. It fails the test after waitLimit.
func (c *FakeClock) WaitTimer(t testing.TB, at time.Time) {
	t.Helper()
	c.waitFor(t, func(pending []time.Time) bool {
		return slices.ContainsFunc(pending, at.Equal)
	}, "a timer at %s", at)
}

func (c *FakeClock) waitFor(t testing.TB, ok func([]time.Time) bool, format string, args ...any) {
	t.Helper()
	timeout := time.After(waitLimit)
	for {
		c.mu.Lock()
		armed := c.armed
		c.mu.Unlock()
		pending := c.Timers()
		if ok(pending) {
			return
		}
		select {
		case <-armed:
		case <-timeout:
			t.Fatalf("fake clock at %s: waited %s for "+format+"; pending: %v", append(append([]any{c.Now(), waitLimit}, args...), pending)...)
		}
	}
}

type fakeTimer struct {
	clock *FakeClock
	at    time.Time
	c     chan time.Time
	fired bool // fired or stopped; guarded by clock.mu
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := !t.fired
	t.fired = true
	t.clock.timers = slices.DeleteFunc(t.clock.timers, func(x *fakeTimer) bool { return x == t })
	return was
}
