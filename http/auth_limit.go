package http

import (
	"sync"
	"time"
)

// Failed authentications from one address are limited in fixed windows:
// past failureLimit in a window, the address gets 429 until the window
// ends, which makes guessing keys (already hopeless: 256 bits) and
// hammering the key store slow. Successful requests are never limited.
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

// add counts a failure of addr.
func (l *failureLimiter) add(addr string, now time.Time) {
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
		return
	}
	c.n++
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
