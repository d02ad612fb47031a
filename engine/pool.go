package engine

import (
	"context"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// pool holds the instances of one function version. A request takes a free
// slot on the least loaded instance, else waits in a bounded FIFO queue
// while an instance starts (never more starts than waiting requests), else
// is throttled. Everything below is guarded by mu.
type pool struct {
	e       *Engine
	fn      *fnState
	version *lambda.Version

	mu        sync.Mutex
	instances []*instance
	starting  int
	queue     []*waiter
	draining  bool
	// spare is a container of version created and not started, for the
	// next cold start (precreate.go); spareCreating while one is created,
	// spareFailed when the last create failed.
	spare         string
	spareCreating bool
	spareFailed   time.Time
	// onDemand: the pool serves a version asked for by number, which no
	// alias routes to; it stays when aliases change. Guarded by fn.mu.
	onDemand bool
}

// waiter is a request queued for a slot.
type waiter struct {
	ready chan *instance // receives an instance with a slot taken for it
	fail  chan error
	cold  bool // it was served by an instance started for the queue
}

func newPool(e *Engine, fn *fnState, v *lambda.Version) *pool {
	return &pool{e: e, fn: fn, version: v}
}

// add puts started instances into the pool.
func (p *pool) add(ins []*instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.e.Clock.Now()
	for _, in := range ins {
		in.owner.Store(p)
		in.idleSince = now
		p.instances = append(p.instances, in)
	}
}

// take returns a slot on the least loaded instance with room, or nil.
// Paused instances are not in service (standby.go).
func (p *pool) takeLocked(concurrency int) *instance {
	var best *instance
	for _, in := range p.instances {
		if !in.gone && !in.paused && in.inflight < concurrency && (best == nil || in.inflight < best.inflight) {
			best = in
		}
	}
	if best != nil {
		best.inflight++
		best.requests++
	}
	return best
}

// growLocked starts instances for the queued requests that no start is
// already coming for (each start brings Concurrency slots), within the
// pool's and the host's limits.
func (p *pool) growLocked(sc lambda.Scaling) {
	// A paused instance serves the queue sooner than a start.
	for p.starting*sc.Concurrency < len(p.queue) {
		in := p.resumeLocked()
		if in == nil {
			break
		}
		in.inflight--
		in.requests--
		p.dispatchLocked(in, sc.Concurrency, false)
	}
	for p.starting*sc.Concurrency < len(p.queue) && len(p.instances)+p.starting < sc.MaxInstances && p.e.reserveSlot() {
		if !p.startLocked(sc) {
			return
		}
	}
}

// startLocked starts an instance in the background for a slot reserved by
// the caller; false (slot given back) once the engine is closed.
func (p *pool) startLocked(sc lambda.Scaling) bool {
	timeout := time.Duration(sc.StartTimeout)
	if !p.e.background(func(context.Context) { p.start(timeout) }) {
		p.e.releaseSlot()
		return false
	}
	p.starting++
	return true
}

// start starts one instance and hands its slots to the queue.
func (p *pool) start(timeout time.Duration) {
	// Detached from any one request, so that a client hanging up does
	// not waste the start for others.
	in, err := p.e.startInstanceOf(p.e.ctx, p.version, timeout, p)
	sc := p.fn.scalingOf(p)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.starting--
	if err != nil {
		p.e.releaseSlot()
		if len(p.instances) == 0 && p.starting == 0 {
			// Nothing else can serve the queue: tell it why.
			for _, w := range p.queue {
				w.fail <- err
			}
			p.queue = nil
		}
		return
	}
	if p.draining {
		p.e.stopInstance(in)
		return
	}
	in.owner.Store(p)
	in.idleSince = p.e.Clock.Now()
	p.instances = append(p.instances, in)
	p.dispatchLocked(in, sc.Concurrency, true)
}

// dispatchLocked hands in's free slots to queued requests.
func (p *pool) dispatchLocked(in *instance, concurrency int, cold bool) {
	for !in.gone && !in.paused && in.inflight < concurrency && len(p.queue) > 0 {
		w := p.queue[0]
		p.queue = p.queue[1:]
		in.inflight++
		in.requests++
		w.cold = cold
		w.ready <- in
	}
}

// release gives back a slot; failed removes the instance (it broke).
func (p *pool) release(in *instance, failed bool) {
	sc := p.fn.scalingOf(p)
	p.mu.Lock()
	defer p.mu.Unlock()
	in.inflight--
	if failed && !in.gone {
		p.removeLocked(in)
	}
	switch {
	case in.gone:
		if in.inflight == 0 {
			p.e.stopInstance(in)
		}
	case len(p.queue) > 0:
		p.dispatchLocked(in, sc.Concurrency, false)
	}
	if in.inflight == 0 {
		in.idleSince = p.e.Clock.Now()
	}
	p.growLocked(sc)
}

// removeLocked takes in out of the pool; it stops once idle.
func (p *pool) removeLocked(in *instance) {
	p.unpauseLocked(in)
	in.gone = true
	for i, x := range p.instances {
		if x == in {
			p.instances = append(p.instances[:i], p.instances[i+1:]...)
			break
		}
	}
}

// abandon withdraws a waiter and returns the instance handed to it in the
// meantime, if any: its slot is taken.
func (p *pool) abandon(w *waiter) *instance {
	p.mu.Lock()
	for i, x := range p.queue {
		if x == w {
			p.queue = append(p.queue[:i], p.queue[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	select {
	case in := <-w.ready:
		return in
	default:
		return nil
	}
}

// drainInto retires the pool: queued requests move to next (nil: they
// fail), idle instances stop now and busy ones after their requests.
func (p *pool) drainInto(next *pool) {
	p.mu.Lock()
	queue := p.queue
	p.queue, p.draining = nil, true
	for _, in := range p.instances {
		p.unpauseLocked(in)
		in.gone = true
		if in.inflight == 0 {
			p.e.stopInstance(in)
		} else {
			p.e.stopAfterDrain(in)
		}
	}
	p.instances = nil
	p.mu.Unlock()
	p.dropSpare()
	if next == nil {
		for _, w := range queue {
			w.fail <- errDeleted(p.fn.name)
		}
		return
	}
	next.enqueue(queue)
}

// enqueue appends waiters moved from a drained pool and serves them.
func (p *pool) enqueue(ws []*waiter) {
	if len(ws) == 0 {
		return
	}
	p.mu.Lock()
	p.queue = append(p.queue, ws...)
	p.mu.Unlock()
	p.kick()
}

// kick serves the queue from free slots and starts instances for the rest,
// after settings changed or waiters arrived.
func (p *pool) kick() {
	sc := p.fn.scalingOf(p)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.draining {
		return
	}
	for _, in := range p.instances {
		p.dispatchLocked(in, sc.Concurrency, false)
	}
	p.growLocked(sc)
}
