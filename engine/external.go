package engine

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdahq/lambda"
)

// External functions are served by running containers the engine did not
// start, found by their labels (lambda.expose / faas.name): typically the
// replicas of a Docker Compose service. The engine keeps them in rotation
// from the watcher's events alone — a replica that stops leaves at once,
// not after a request failed on it — and routes to them through the same
// Acquire as deployed functions, so they share the invoker, records,
// metrics and logs. A deployed function of the same name wins.

// externals is the engine's view of the labelled containers.
type externals struct {
	mu     sync.Mutex
	byName map[string]*extSet  // function name → its replicas; kept once seen (503 when empty)
	byID   map[string]*replica // container ID → replica in rotation
	warned map[string]string   // container ID → the warning logged for it, logged once
	// parked holds the containers of shadowed functions, by ID: they
	// serve once the deployed function is deleted.
	parked map[string]lambda.ExternalContainer
	sets   atomic.Pointer[sync.Map] // name → *extSet, read without mu on the request path
}

func newExternals() *externals {
	x := &externals{byName: map[string]*extSet{}, byID: map[string]*replica{}, warned: map[string]string{}, parked: map[string]lambda.ExternalContainer{}}
	x.sets.Store(new(sync.Map))
	return x
}

// extSet is one external function's rotation.
type extSet struct {
	name string
	// shadowed: a deployed function of the name exists, which wins.
	shadowed atomic.Bool

	mu       sync.Mutex
	port     int
	replicas []*replica
	next     int // where the next round-robin scan starts
}

// replica is one container of an external function.
type replica struct {
	c    lambda.ExternalContainer
	addr string
	// Guarded by the set's mu.
	inflight    int
	requests    int64
	failedUntil time.Time // a request could not reach it: others first until then
}

// failedBackoff is how long a replica that refused a connection goes to
// the back of the rotation (it is still used when no other is left): its
// stop event normally arrives first, but a replica may die between the
// event and the dial.
const failedBackoff = 2 * time.Second

// find returns name's set, without taking the engine's locks.
func (x *externals) find(name string) *extSet {
	if v, ok := x.sets.Load().Load(name); ok {
		return v.(*extSet)
	}
	return nil
}

// watchExternal applies the watcher's events until the engine closes.
func (e *Engine) watchExternal() {
	for {
		ch, err := e.External.WatchExternal(e.ctx)
		if err != nil {
			e.Logger.Warn("cannot watch containers with lambda.expose labels; retrying", "err", err)
			select {
			case <-e.ctx.Done():
				return
			case <-time.After(e.ReconcileInterval):
				continue
			}
		}
		for ev := range ch {
			e.applyExternal(e.ctx, ev)
		}
		if e.ctx.Err() != nil {
			return
		}
	}
}

// applyExternal brings the rotations up to date with one event.
func (e *Engine) applyExternal(ctx context.Context, ev lambda.ExternalEvent) {
	switch {
	case ev.IsSync:
		running := make(map[string]bool, len(ev.Sync))
		for _, c := range ev.Sync {
			running[c.ID] = true
		}
		e.ext.mu.Lock()
		var gone []string
		for id := range e.ext.byID {
			if !running[id] {
				gone = append(gone, id)
			}
		}
		for id := range e.ext.warned { // ignored ones, parked ones included
			if !running[id] {
				gone = append(gone, id)
			}
		}
		e.ext.mu.Unlock()
		for _, id := range gone {
			e.externalDown(id)
		}
		for i := range ev.Sync {
			e.externalUp(ctx, ev.Sync[i])
		}
	case ev.Up != nil:
		e.externalUp(ctx, *ev.Up)
	case ev.Down != "":
		e.externalDown(ev.Down)
	}
}

// warnOnce logs msg for container id unless it was logged for it already.
func (e *Engine) warnOnce(id, msg string, args ...any) {
	e.ext.mu.Lock()
	seen := e.ext.warned[id] == msg
	e.ext.warned[id] = msg
	e.ext.mu.Unlock()
	if !seen {
		e.Logger.Warn(msg, args...)
	}
}

// externalUp puts a running labelled container in its function's
// rotation, or logs why it is ignored.
func (e *Engine) externalUp(ctx context.Context, c lambda.ExternalContainer) {
	name, port, ok, err := lambda.ExposedAs(c.Labels)
	if !ok {
		return
	}
	if err != nil {
		e.warnOnce(c.ID, "container ignored: its labels do not expose a function", "container", c.Name, "id", short(c.ID), "err", lambda.ErrorMessage(err))
		return
	}
	if c.IP == "" {
		e.warnOnce(c.ID, "container ignored: it has no address on a network the server reaches (attach it to a bridge network)", "container", c.Name, "id", short(c.ID), "function", name)
		return
	}
	set := e.externalSet(name)
	if !set.shadowed.Load() {
		e.checkShadowed(ctx, set)
	}
	if set.shadowed.Load() {
		e.ext.mu.Lock()
		e.ext.parked[c.ID] = c
		e.ext.mu.Unlock()
		e.warnOnce(c.ID, "container ignored: a deployed function has the name its labels expose, and the deployed one wins", "container", c.Name, "id", short(c.ID), "function", name)
		return
	}
	r := &replica{c: c, addr: joinHostPort(c.IP, port)}
	e.ext.mu.Lock()
	old, known := e.ext.byID[c.ID]
	if known && old.addr == r.addr {
		e.ext.mu.Unlock()
		return
	}
	e.ext.byID[c.ID] = r
	delete(e.ext.warned, c.ID)
	e.ext.mu.Unlock()
	set.mu.Lock()
	if known {
		set.replicas = slices.DeleteFunc(set.replicas, func(x *replica) bool { return x == old })
	}
	set.replicas = append(set.replicas, r)
	set.port = port
	n := len(set.replicas)
	set.mu.Unlock()
	e.Logger.Info("external replica in rotation", "function", name, "container", c.Name, "id", short(c.ID), "addr", r.addr, "replicas", n)
	// Its output becomes the function's logs, attributed to the requests
	// it served at the time, as a deployed http function's.
	in := &lambda.Instance{ID: c.ID, Function: name, Version: lambda.ExternalVersion, Running: true, CreatedAt: c.Started}
	if _, following := e.attrs.Load(c.ID); !following {
		e.collectLogs(in, lambda.ProtocolHTTP, true)
		return
	}
	// A restarted container: the follow of its previous run ends with
	// it; its new run is followed from there.
	e.background(func(ctx context.Context) {
		for range restartFollowChecks {
			select {
			case <-ctx.Done():
				return
			case <-time.After(restartFollowEvery):
			}
			if _, following := e.attrs.Load(c.ID); !following {
				if e.ext.inRotation(c.ID) {
					e.collectLogs(in, lambda.ProtocolHTTP, true)
				}
				return
			}
		}
	})
}

// How long a restarted container's new run waits for the follow of its
// previous run to end: 100 × 100 ms.
const (
	restartFollowChecks = 100
	restartFollowEvery  = 100 * time.Millisecond
)

// inRotation reports whether container id serves now.
func (x *externals) inRotation(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	_, ok := x.byID[id]
	return ok
}

// externalDown takes a container out of rotation; requests it is serving
// finish.
func (e *Engine) externalDown(id string) {
	e.ext.mu.Lock()
	r, ok := e.ext.byID[id]
	delete(e.ext.byID, id)
	delete(e.ext.warned, id)
	delete(e.ext.parked, id)
	e.ext.mu.Unlock()
	if !ok {
		return
	}
	name, _, _, _ := lambda.ExposedAs(r.c.Labels)
	set := e.ext.find(name)
	if set == nil {
		return
	}
	set.mu.Lock()
	set.replicas = slices.DeleteFunc(set.replicas, func(x *replica) bool { return x == r })
	n := len(set.replicas)
	set.mu.Unlock()
	e.Logger.Info("external replica out of rotation", "function", name, "container", r.c.Name, "id", short(id), "replicas", n)
}

// externalSet returns name's set, created on first sight.
func (e *Engine) externalSet(name string) *extSet {
	e.ext.mu.Lock()
	defer e.ext.mu.Unlock()
	set, ok := e.ext.byName[name]
	if !ok {
		set = &extSet{name: name}
		e.ext.byName[name] = set
		e.ext.sets.Load().Store(name, set)
	}
	return set
}

// shadowCheckTimeout bounds the store read that tells whether a deployed
// function has an external function's name.
const shadowCheckTimeout = 5 * time.Second

// checkShadowed marks set shadowed when a deployed function has its name.
// A store that cannot be read leaves it unshadowed: requests still prefer
// a deployed function the engine routes already.
func (e *Engine) checkShadowed(ctx context.Context, set *extSet) {
	ctx, cancel := context.WithTimeout(ctx, shadowCheckTimeout)
	defer cancel()
	_, err := e.Store.FindFunction(ctx, set.name)
	switch {
	case err == nil:
		set.shadowed.Store(true)
	case lambda.ErrorCode(err) != lambda.ENOTFOUND:
		e.Logger.Warn("cannot tell whether a deployed function has an external function's name", "function", set.name, "err", err)
	}
}

// unshadow lets the labelled containers of name serve again once its
// deployed function is deleted.
func (e *Engine) unshadow(ctx context.Context, name string) {
	set := e.ext.find(name)
	if set == nil || !set.shadowed.Load() {
		return
	}
	set.shadowed.Store(false)
	e.ext.mu.Lock()
	var back []lambda.ExternalContainer
	for id, c := range e.ext.parked {
		if n, _, _, _ := lambda.ExposedAs(c.Labels); n == name {
			back = append(back, c)
			delete(e.ext.parked, id)
			delete(e.ext.warned, id)
		}
	}
	e.ext.mu.Unlock()
	if len(back) > 0 {
		e.Logger.Info("the deployed function is deleted: the containers labelled with its name serve it now", "function", name, "replicas", len(back))
	}
	for _, c := range back {
		e.externalUp(ctx, c)
	}
}
