package engine

import (
	"sync"
	"time"
)

// exitLog remembers recently exited containers, so that a start that is
// still waiting for readiness learns at once that its container died, even
// when the exit event arrived before the waiter looked.
type exitLog struct {
	mu      sync.Mutex
	at      map[string]time.Time
	waiters map[string]chan struct{}
}

const exitMemory = 10 * time.Minute

func newExitLog() *exitLog {
	return &exitLog{at: make(map[string]time.Time), waiters: make(map[string]chan struct{})}
}

func (l *exitLog) record(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.at[id] = now
	for k, t := range l.at {
		if now.Sub(t) > exitMemory {
			delete(l.at, k)
		}
	}
	if ch, ok := l.waiters[id]; ok {
		close(ch)
		delete(l.waiters, id)
	}
}

func (l *exitLog) exited(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.at[id]
	return ok
}

// changed returns a channel closed when id exits.
func (l *exitLog) changed(id string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch, ok := l.waiters[id]
	if !ok {
		ch = make(chan struct{})
		if _, done := l.at[id]; done {
			close(ch)
			return ch
		}
		l.waiters[id] = ch
	}
	return ch
}

// watchExits follows container exits for the engine's lifetime, removing
// dead instances from routing as soon as Docker reports them.
func (e *Engine) watchExits() {
	for {
		ch, err := e.Driver.WatchExits(e.ctx)
		if err != nil {
			select {
			case <-e.ctx.Done():
				return
			case <-time.After(e.ReconcileInterval):
				continue
			}
		}
		for id := range ch {
			e.exits.record(id)
			e.dropInstance(id)
		}
		if e.ctx.Err() != nil {
			return
		}
	}
}
