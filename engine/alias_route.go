package engine

import (
	"context"
	"math/rand/v2"
	"slices"

	"github.com/lambdahq/lambda"
)

// routeTable is the routing of a function's aliases over its pools. It is
// never changed once published (fnState.table): a change builds a new one
// under the function's lock, and requests read the current one with an
// atomic load, so a split costs no lock shared by the function's requests.
type routeTable struct {
	live   aliasRoute
	routes map[string]aliasRoute // by alias name, live included
	names  []string              // sorted, for "did you mean"
}

// aliasRoute sends weight of an alias's requests to additional (when set),
// the rest to primary.
type aliasRoute struct {
	primary, additional *pool
	weight              float64
}

// pick chooses the pool of one request, given u drawn uniformly from [0, 1).
func (r aliasRoute) pick(u float64) *pool {
	if r.additional != nil && u < r.weight {
		return r.additional
	}
	return r.primary
}

// split reports whether the route sends traffic to two versions.
func (r aliasRoute) split() bool { return r.additional != nil && r.weight > 0 }

// poolLocked returns the pool serving version n, nil if none does.
func (st *fnState) poolLocked(n int) *pool {
	if st.active != nil && st.active.version.Number == n {
		return st.active
	}
	return st.extra[n]
}

// referencedLocked reports whether an alias routes to version n.
func (st *fnState) referencedLocked(n int) bool {
	for _, a := range st.aliases {
		if a.Version == n || a.AdditionalVersion == n {
			return true
		}
	}
	return false
}

// setLiveLocked points live at version n, without a split.
func (st *fnState) setLiveLocked(n int) {
	a := &lambda.Alias{Function: st.name, Name: lambda.AliasLive, Version: n}
	if old := st.aliases[lambda.AliasLive]; old != nil {
		a.Description, a.CreatedAt, a.UpdatedAt = old.Description, old.CreatedAt, old.UpdatedAt
	}
	st.setAliasLocked(a)
}

func (st *fnState) setAliasLocked(a *lambda.Alias) {
	if st.aliases == nil {
		st.aliases = map[string]*lambda.Alias{}
	}
	st.aliases[a.Name] = a
}

// addPoolLocked makes v served by a pool of its own (with warm, if any),
// unless a pool serves it already, to which warm is added.
func (st *fnState) addPoolLocked(e *Engine, v *lambda.Version, warm []*instance) *pool {
	p := st.poolLocked(v.Number)
	if p == nil {
		p = newPool(e, st, v)
		if st.extra == nil {
			st.extra = map[int]*pool{}
		}
		st.extra[v.Number] = p
	}
	p.add(warm)
	return p
}

// rebuildLocked publishes the routing of st.aliases and takes out of st
// the extra pools nothing routes to any more (a canary's after a rollback),
// except those asked for by number: the caller drains them (retire) once
// st.mu is released.
func (st *fnState) rebuildLocked() (retired []*pool) {
	t := &routeTable{routes: make(map[string]aliasRoute, len(st.aliases))}
	for name, a := range st.aliases {
		r := aliasRoute{primary: st.poolLocked(a.Version), weight: a.Weight}
		if r.primary == nil {
			continue // not loaded: the alias's change installs its pools first
		}
		if a.AdditionalVersion != 0 {
			r.additional = st.poolLocked(a.AdditionalVersion)
		}
		t.routes[name] = r
		t.names = append(t.names, name)
	}
	slices.Sort(t.names)
	if st.active != nil {
		t.live = aliasRoute{primary: st.active}
		if r, ok := t.routes[lambda.AliasLive]; ok && r.primary == st.active {
			t.live = r
		}
		t.routes[lambda.AliasLive] = t.live
	}
	st.table.Store(t)
	for n, p := range st.extra {
		if !p.onDemand && !st.referencedLocked(n) {
			delete(st.extra, n)
			retired = append(retired, p)
		}
	}
	return retired
}

// retire drains pools no longer routed to: what is queued at them moves
// to into (the active pool), what runs on them finishes.
func retire(pools []*pool, into *pool) {
	for _, p := range pools {
		p.drainInto(into)
	}
}

// loadedAliases are a function's aliases and the versions they route to
// (the active one left out), read from the store when the function is
// first routed.
type loadedAliases struct {
	aliases  []*lambda.Alias
	versions map[int]*lambda.Version
}

func (e *Engine) loadAliases(ctx context.Context, fn *lambda.Function) (loadedAliases, error) {
	store := e.aliasStore()
	if store == nil {
		return loadedAliases{}, nil
	}
	as, err := store.ListAliases(ctx, fn.Name)
	if err != nil {
		return loadedAliases{}, err
	}
	out := loadedAliases{aliases: as, versions: map[int]*lambda.Version{}}
	for _, a := range as {
		for _, n := range a.Versions() {
			if n == fn.ActiveVersion || out.versions[n] != nil {
				continue
			}
			v, err := e.Store.FindVersion(ctx, fn.Name, n)
			if err != nil {
				return loadedAliases{}, err
			}
			out.versions[n] = v
		}
	}
	return out, nil
}

// loadAliasesLocked installs what loadAliases read: a pool (empty: the
// first request or the reaper's minimum starts its instances) for every
// version an alias routes to.
func (st *fnState) loadAliasesLocked(l loadedAliases) {
	for _, v := range l.versions {
		st.addPoolLocked(st.active.e, v, nil)
	}
	for _, a := range l.aliases {
		st.setAliasLocked(a)
	}
	if st.aliases[lambda.AliasLive] == nil {
		st.setLiveLocked(st.active.version.Number)
	}
	st.rebuildLocked()
}

// aliasStore is the store's alias side, nil when it has none (aliases
// then cannot be set, and live is the active version).
func (e *Engine) aliasStore() lambda.AliasStore {
	s, _ := e.Store.(lambda.AliasStore)
	return s
}

// route resolves a request's qualifier (lambda.QualifierFrom) to the pool
// that serves it and the scaling in force there. No qualifier without a
// split in live is the active pool, as before aliases existed.
func (e *Engine) route(ctx context.Context, st *fnState) (lambda.Scaling, *pool, error) {
	q := lambda.QualifierFrom(ctx)
	if q == "" || q == lambda.QualifierLatest || q == lambda.AliasLive {
		if t := st.table.Load(); t != nil && t.live.split() {
			p := t.live.pick(rand.Float64())
			return st.scalingOf(p), p, nil
		}
		sc, p := st.effective()
		return sc, p, nil
	}
	qual, err := lambda.ParseQualifier(q)
	if err != nil {
		return lambda.Scaling{}, nil, err
	}
	var p *pool
	if qual.Version != 0 {
		p, err = e.versionPool(ctx, st, qual.Version)
	} else {
		p, err = st.aliasPool(qual.Alias)
	}
	if err != nil {
		return lambda.Scaling{}, nil, err
	}
	return st.scalingOf(p), p, nil
}

func (st *fnState) aliasPool(alias string) (*pool, error) {
	t := st.table.Load()
	if t != nil {
		if r, ok := t.routes[alias]; ok {
			return r.pick(rand.Float64()), nil
		}
	}
	var names []string
	if t != nil {
		names = t.names
	}
	return nil, unknownAlias(st.name, alias, names)
}

// unknownAlias answers a request for an alias that does not exist.
func unknownAlias(function, alias string, names []string) error {
	if best := lambda.ClosestName(alias, names); best != "" {
		return lambda.Errorf(lambda.ENOTFOUND, "function %q has no alias %q: did you mean %q? (\"lambda alias list %s\")", function, alias, best, function)
	}
	return lambda.Errorf(lambda.ENOTFOUND, "function %q has no alias %q: see \"lambda alias list %s\"", function, alias, function)
}

// versionPool returns the pool serving version n, making one the first
// time n is asked for by number. Its instances start on demand and stop
// when idle, whatever the function's minimum.
func (e *Engine) versionPool(ctx context.Context, st *fnState, n int) (*pool, error) {
	st.mu.Lock()
	p := st.poolLocked(n)
	st.mu.Unlock()
	if p != nil {
		return p, nil
	}
	v, err := e.Store.FindVersion(ctx, st.name, n)
	if lambda.ErrorCode(err) == lambda.ENOTFOUND {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "function %q has no version %d: see \"lambda versions %s\"", st.name, n, st.name)
	}
	if err != nil {
		return nil, err
	}
	if err := checkNotPruned(v); err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if p := st.poolLocked(n); p != nil {
		return p, nil
	}
	p = st.addPoolLocked(e, v, nil)
	p.onDemand = true
	return p, nil
}
