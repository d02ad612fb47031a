package engine

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/lambdahq/lambda"
)

// fnState is the routing state of one function: the pool of its active
// version, its scaling settings and its requests in flight.
type fnState struct {
	name     string
	inflight atomic.Int64 // across versions, for reserved concurrency

	mu      sync.Mutex
	active  *pool
	scaling lambda.Scaling // as configured; see effective
	idle    chan struct{}  // closed once no request is in flight; see drained
	closed  bool           // idle is closed
}

// finish ends a request counted by admit.
func (st *fnState) finish() {
	if st.inflight.Add(-1) > 0 {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.idle != nil && !st.closed && st.inflight.Load() == 0 {
		close(st.idle)
		st.closed = true
	}
}

// drained returns a channel closed once no request is in flight. Meant for
// a function no longer routable (forget): its count only goes down.
func (st *fnState) drained() <-chan struct{} {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.idle == nil {
		st.idle = make(chan struct{})
	}
	if !st.closed && st.inflight.Load() == 0 {
		close(st.idle)
		st.closed = true
	}
	return st.idle
}

// effective returns the scaling in force for the active version.
func (st *fnState) effective() (lambda.Scaling, *pool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.scaling.Effective(st.active.version.Config.Protocol), st.active
}

// state returns the routing state of name, loading it from the store on
// first use.
func (e *Engine) state(ctx context.Context, name string) (*fnState, error) {
	e.mu.Lock()
	st, ok := e.functions[name]
	deleting := e.deleting[name]
	e.mu.Unlock()
	if ok {
		return st, nil
	}
	if deleting {
		return nil, errDeleted(name)
	}
	fn, err := e.Store.FindFunction(ctx, name)
	if err != nil {
		return nil, err
	}
	if fn.Active == nil {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "function %q has no active version", name)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if st, ok := e.functions[name]; ok {
		return st, nil
	}
	if e.deleting[name] {
		return nil, errDeleted(name)
	}
	st = &fnState{name: name, scaling: fn.Scaling}
	st.active = newPool(e, st, fn.Active)
	e.functions[name] = st
	return st, nil
}

// loaded returns the states of every function routed so far.
func (e *Engine) loaded() []*fnState {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*fnState, 0, len(e.functions))
	for _, st := range e.functions {
		out = append(out, st)
	}
	return out
}

// switchTo makes warm (instances of v) the pool that serves name, with
// scaling sc. The previous pool drains: its queued requests move to the new
// pool and its instances stop once their requests finish.
func (e *Engine) switchTo(name string, v *lambda.Version, sc lambda.Scaling, warm []*instance) {
	e.mu.Lock()
	st, ok := e.functions[name]
	if !ok {
		st = &fnState{name: name}
		e.functions[name] = st
	}
	e.mu.Unlock()
	next := newPool(e, st, v)
	next.add(warm)
	st.mu.Lock()
	old := st.active
	st.active, st.scaling = next, sc
	st.mu.Unlock()
	if old != nil {
		old.drainInto(next)
	}
}

// forget drops name from routing and returns its state (nil if it was not
// loaded): queued requests fail, instances stop after their requests.
func (e *Engine) forget(name string) *fnState {
	e.mu.Lock()
	st, ok := e.functions[name]
	delete(e.functions, name)
	e.mu.Unlock()
	if !ok {
		return nil
	}
	st.mu.Lock()
	p := st.active
	st.mu.Unlock()
	p.drainInto(nil)
	return st
}

// errDeleted answers requests for a function being deleted.
func errDeleted(name string) error {
	return lambda.Errorf(lambda.ENOTFOUND, "function %q was deleted", name)
}

// setScaling changes name's scaling in routing, if it is loaded.
func (e *Engine) setScaling(name string, sc lambda.Scaling) {
	e.mu.Lock()
	st, ok := e.functions[name]
	e.mu.Unlock()
	if ok {
		st.mu.Lock()
		st.scaling = sc
		p := st.active
		st.mu.Unlock()
		p.kick()
	}
}
