package http

import (
	"sync"
	"time"
)

// Failed authentications from one address are limited in fixed windows:
// past failureLimit in a window, its failures get 429 until the window
// ends (with Retry-After) and are logged once, so that a flood of bad keys
// neither floods the log nor reads as anything but refused. Requests with
// a valid key are never limited.
const (
	failureLimit  = 20
	failureWindow = time.Minute
	// maxFailureAddrs bounds the memory: past it, windows that ended are
	// dropped, and if all are current, all are (a flood of addresses
	// resets the counts rather than growing the map).
	maxFailureAddrs = 10000
)

type failureWindowCount struct {
	start time.Time
	n     int
}

// failureLimiter counts failed authentications per address.
type failureLimiter struct {
	mu    sync.Mutex
	addrs map[string]*failureWindowCount
}

// wait returns how long addr must wait before its next attempt, 0 if it
// may go ahead.
func (l *failureLimiter) wait(addr string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.addrs[addr]
	if c == nil || c.n < failureLimit {
		return 0
	}
	if end := c.start.Add(failureWindow); now.Before(end) {
		return end.Sub(now)
	}
	delete(l.addrs, addr)
	return 0
}

// add counts a failure of addr. Past the limit it returns how long until
// the window ends, and first is true for the first failure past it.
func (l *failureLimiter) add(addr string, now time.Time) (wait time.Duration, first bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.addrs == nil {
		l.addrs = map[string]*failureWindowCount{}
	}
	c := l.addrs[addr]
	if c == nil || !now.Before(c.start.Add(failureWindow)) {
		if c == nil && len(l.addrs) >= maxFailureAddrs {
			l.sweep(now)
		}
		l.addrs[addr] = &failureWindowCount{start: now, n: 1}
		return 0, false
	}
	c.n++
	if c.n <= failureLimit {
		return 0, false
	}
	return c.start.Add(failureWindow).Sub(now), c.n == failureLimit+1
}

func (l *failureLimiter) sweep(now time.Time) {
	for a, c := range l.addrs {
		if !now.Before(c.start.Add(failureWindow)) {
			delete(l.addrs, a)
		}
	}
	if len(l.addrs) >= maxFailureAddrs {
		clear(l.addrs)
	}
}
