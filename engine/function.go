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
	// extra holds the pools of versions other than the active one that
	// serve: those aliases name (a canary's, in live's split) and those
	// asked for by number (alias_route.go).
	extra   map[int]*pool
	aliases map[string]*lambda.Alias // by name, live included
	// table is the aliases' routing, rebuilt under mu at every change
	// and read by requests without a lock.
	table atomic.Pointer[routeTable]
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

// scalingOf returns the scaling in force for p, a pool of st: that of its
// version's protocol. A pool only asked for by version number keeps no
// instance warm: it serves until idle, then goes to zero.
func (st *fnState) scalingOf(p *pool) lambda.Scaling {
	st.mu.Lock()
	defer st.mu.Unlock()
	sc := st.scaling.Effective(p.version.Config.Protocol)
	if p != st.active && !st.referencedLocked(p.version.Number) {
		sc.MinInstances = 0
	}
	return sc
}

// pools returns every pool of st: the active one first.
func (st *fnState) pools() []*pool {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]*pool, 0, 1+len(st.extra))
	if st.active != nil {
		out = append(out, st.active)
	}
	for _, p := range st.extra {
		out = append(out, p)
	}
	return out
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
	aliases, err := e.loadAliases(ctx, fn)
	if err != nil {
		return nil, err
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
	st.loadAliasesLocked(aliases)
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
	e.switchRouting(name, v, sc, warm, nil, nil)
}

// switchRouting is switchTo with live set to the alias given (nil: v
// without a split) and others, warm pools of other versions live or
// another alias routes to, added first (alias.go).
func (e *Engine) switchRouting(name string, v *lambda.Version, sc lambda.Scaling, warm []*instance, live *lambda.Alias, others []warmVersion) {
	e.mu.Lock()
	st, ok := e.functions[name]
	if !ok {
		st = &fnState{name: name}
		e.functions[name] = st
	}
	e.mu.Unlock()
	st.mu.Lock()
	next := st.extra[v.Number]
	delete(st.extra, v.Number)
	if next == nil {
		next = newPool(e, st, v)
	}
	next.add(warm)
	next.onDemand = false
	if old := st.active; old != nil && old != next {
		// Drained by the rebuild below unless an alias still routes to
		// it (another alias, or live's split).
		if st.extra == nil {
			st.extra = map[int]*pool{}
		}
		st.extra[old.version.Number] = old
	}
	st.active, st.scaling = next, sc
	if live != nil {
		st.setAliasLocked(live)
	} else {
		// Deploys and rollbacks point live at v with no split (the
		// store's triggers do the same to its row).
		st.setLiveLocked(v.Number)
	}
	for _, w := range others {
		st.addPoolLocked(e, w.v, w.warm)
	}
	retired := st.rebuildLocked()
	st.mu.Unlock()
	retire(retired, next)
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
	for _, p := range st.pools() {
		p.drainInto(nil)
	}
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
		st.mu.Unlock()
		for _, p := range st.pools() {
			p.kick()
		}
	}
}
