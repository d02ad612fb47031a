package shim

import (
	"context"
	"sync"
	"time"
)

// queue hands requests to the function process one at a time, in arrival
// order (Lambda semantics), and tracks the one it is running. Every
// invocation that leaves the queue through next is finished exactly once,
// through complete or close.
type queue struct {
	mu        sync.Mutex
	items     []*invocation
	current   *invocation
	closed    bool
	wake      chan struct{} // a token: items may be waiting
	onTimeout func(*invocation)
	polls     uint64        // calls of next: the process asking for work
	polled    chan struct{} // closed at the next call of next; nil until wanted
}

// closedChan is a channel that is always ready.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func newQueue(onTimeout func(*invocation)) *queue {
	return &queue{wake: make(chan struct{}, 1), onTimeout: onTimeout}
}

// push appends inv; false once the queue is closed.
func (q *queue) push(inv *invocation) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.items = append(q.items, inv)
	q.signal()
	return true
}

func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// remove takes inv out of the queue; false if next took it already.
func (q *queue) remove(inv *invocation) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, it := range q.items {
		if it == inv {
			q.drop(i)
			return true
		}
	}
	return false
}

// drop deletes item i, keeping the order and no stale pointer.
func (q *queue) drop(i int) {
	copy(q.items[i:], q.items[i+1:])
	q.items[len(q.items)-1] = nil
	q.items = q.items[:len(q.items)-1]
}

// next waits for the oldest request and makes it the running one, with
// its deadline armed. Requests whose deadline passed while they waited end
// with a timeout without reaching the function. A running invocation the
// function never answered fails: asking for the next event gives it up.
func (q *queue) next(ctx context.Context) (*invocation, error) {
	for first := true; ; first = false {
		q.mu.Lock()
		if first {
			q.polls++
			if q.polled != nil {
				close(q.polled)
				q.polled = nil
			}
		}
		if prev := q.current; prev != nil {
			q.current = nil
			prev.timer.Stop()
			prev.finish(result{kind: resFailure, message: "the function asked for its next event without answering this one"})
		}
		if !q.closed {
			now := time.Now()
			for len(q.items) > 0 {
				inv := q.items[0]
				q.drop(0)
				if !now.Before(inv.deadline) {
					inv.finish(result{kind: resTimeout})
					putBuffer(inv.event)
					continue
				}
				q.current = inv
				inv.timer = time.AfterFunc(inv.deadline.Sub(now), func() { q.onTimeout(inv) })
				if len(q.items) > 0 {
					q.signal()
				}
				q.mu.Unlock()
				return inv, nil
			}
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// running returns the running invocation if its ID is id.
func (q *queue) running(id string) *invocation {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.current != nil && q.current.id == id {
		return q.current
	}
	return nil
}

// complete ends inv with res if it is still the running invocation.
func (q *queue) complete(inv *invocation, res result) bool {
	q.mu.Lock()
	if q.current != inv {
		q.mu.Unlock()
		return false
	}
	q.current = nil
	inv.timer.Stop()
	inv.polls = q.polls
	q.mu.Unlock()
	return inv.finish(res)
}

// afterPoll returns a channel closed once the process has asked for its
// next event since it answered inv (at once if it has already): a process
// that does so outlived its answer.
func (q *queue) afterPoll(inv *invocation) <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.polls > inv.polls {
		return closedChan
	}
	if q.polled == nil {
		q.polled = make(chan struct{})
	}
	return q.polled
}

// close ends the running invocation with running, the waiting ones with
// waiting, and refuses requests from now on.
func (q *queue) close(running, waiting result) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	if inv := q.current; inv != nil {
		q.current = nil
		inv.timer.Stop()
		inv.finish(running)
	}
	for i, inv := range q.items {
		inv.finish(waiting)
		putBuffer(inv.event)
		q.items[i] = nil
	}
	q.items = q.items[:0]
	q.signal() // wake a blocked next so it sees the queue closed
}
