package engine

import (
	"context"
	"sync"
)

// tasks counts the goroutines the engine starts, so that Close waits for
// every one of them, instance starts included. A sync.WaitGroup does not
// fit: work is started from request goroutines at any time, and an Add
// racing the final Wait is a misuse that panics.
type tasks struct {
	mu      sync.Mutex
	running int
	closing bool          // Close has begun: only running tasks may add follow-ups
	closed  bool          // Close has returned: nothing starts any more
	idle    chan struct{} // made by the first close; closed when running reaches 0 while closing
}

// start runs f in a goroutine Close waits for, unless the engine is
// closed: then it reports false and f does not run. While Close waits, a
// running task may still start a follow-up (a stop after a failed start),
// which Close waits for too; nothing else starts.
func (t *tasks) start(f func()) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || (t.closing && t.running == 0) {
		return false
	}
	t.running++
	go func() {
		defer t.done()
		f()
	}()
	return true
}

func (t *tasks) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.running--
	if t.closing && t.running == 0 {
		close(t.idle)
	}
}

// wait stops new work and waits, until ctx ends, for the running tasks.
// Whatever it returns, the engine is closed after it: a task that outlives
// a bounded wait cannot start another.
func (t *tasks) wait(ctx context.Context) error {
	t.mu.Lock()
	if !t.closing {
		t.closing, t.idle = true, make(chan struct{})
		if t.running == 0 {
			close(t.idle)
		}
	}
	idle := t.idle
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		t.closed = true
		t.mu.Unlock()
	}()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// isClosed reports whether Close has returned.
func (t *tasks) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}
