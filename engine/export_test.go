package engine

import (
	"context"
	"time"
)

// Queued is the number of requests queued for a slot of name's active
// pool (0 when name is not loaded), for the engine_test package to wait on.
func (e *Engine) Queued(name string) int {
	for _, st := range e.loaded() {
		if st.name == name {
			_, p := st.effective()
			return p.queued()
		}
	}
	return 0
}

// ReapNow runs one reaper pass at the clock's time and returns when it is
// done, so a test can check what a pass left without waiting on the loop.
func (e *Engine) ReapNow() { e.reap() }

// queued is the number of requests waiting for a slot of p.
func (p *pool) queued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue)
}

// Live reports whether the engine still routes to the instance id: false
// once it has processed the instance's exit (or stopped it).
func (e *Engine) Live(id string) bool {
	_, ok := e.live.Load(id)
	return ok
}

// Unframe is unframe, for the engine_test package.
var Unframe = unframe

// RefreshCapacity asks the driver for its capacity now, as the loop does
// every CapacityInterval.
func (e *Engine) RefreshCapacity() { e.refreshCapacity(context.Background()) }

// SetInterruptedBuildWait shortens the wait before the sweep of an
// interrupted deploy's images, for tests; it returns the restore.
func SetInterruptedBuildWait(d time.Duration) func() {
	old := interruptedBuildWait
	interruptedBuildWait = d
	return func() { interruptedBuildWait = old }
}
