package engine

import (
	"context"
	"time"
)

// DefaultCapacityInterval is how often the driver is asked for its
// capacity: a cluster's nodes come and go.
const DefaultCapacityInterval = 2 * time.Second

// capacityTimeout bounds one question to the driver.
const capacityTimeout = 10 * time.Second

// Capacity is how many instances the backend runs at once, all functions
// together, as the driver last answered (-1 before its first answer), and
// how many run or start now.
func (e *Engine) Capacity() (capacity, used int) {
	return int(e.capacity.Load()), int(e.total.Load())
}

// refreshCapacity asks the driver again. A driver that cannot answer (a
// cluster's manager unreachable) leaves the last answer: it could not
// start an instance either.
func (e *Engine) refreshCapacity(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, capacityTimeout)
	defer cancel()
	n, err := e.Driver.Capacity(ctx)
	if err != nil {
		e.Logger.Debug("instance capacity unknown; keeping the last answer", "capacity", e.capacity.Load(), "err", err)
		return
	}
	if old := e.capacity.Swap(int64(n)); old != int64(n) {
		e.Logger.Info("instance capacity", "from", old, "to", n, "instances", e.total.Load())
	}
}

func (e *Engine) capacityLoop() {
	every := e.CapacityInterval
	if every <= 0 {
		every = DefaultCapacityInterval
	}
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-e.Clock.After(every):
			e.refreshCapacity(e.ctx)
		}
	}
}

// reserveSlot counts a function's instance against the backend's
// capacity; at capacity it takes the slot of a generic instance waiting
// for a cold start (preinit.go), which is stopped: functions' instances
// come first.
func (e *Engine) reserveSlot() bool {
	return e.trySlot() || e.takeGenericSlot()
}

// trySlot counts an instance against the backend's capacity. Before the
// driver first answers nothing is counted against it: a driver that
// cannot tell its capacity cannot start an instance either.
func (e *Engine) trySlot() bool {
	for {
		limit, n := e.capacity.Load(), e.total.Load()
		if limit >= 0 && n >= limit {
			return false
		}
		if e.total.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (e *Engine) releaseSlot() { e.total.Add(-1) }
