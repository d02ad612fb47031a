package engine

import (
	"context"
	"time"

	"github.com/lambdahq/lambda"
)

// Paused standby (issue 14): an instance idle past its idle timeout, above
// the function's minimum, is paused (the cgroup freezer: no CPU, memory
// kept) for the function's standby timeout before it stops, so that the
// next request resumes it in milliseconds instead of a cold start. The
// paused instances of all functions share a host-wide memory budget
// (StandbyMemory); past it the least recently used is stopped first.
//
// The state lives in two places. in.paused (under the pool's mutex) says
// the pool must not hand the instance out: the reaper sets it, a request
// or the minimum clears it. in.frozen (changed under in.freeze, read
// atomically) says the container may be frozen: freeze sets it before it
// asks for the pause, under the pool's mutex with its check of in.paused,
// and only a successful unpause clears it. Whoever takes an instance from
// the pool thaws it if it may be frozen (pool.acquire): when the pause is
// still in flight, the thaw waits on in.freeze for it and then unpauses,
// so no request reaches a frozen container that nobody thaws. The warm
// path costs one atomic load.

// pauseTimeout bounds one pause or unpause (milliseconds as a rule).
const pauseTimeout = 30 * time.Second

// memoryOf is what a paused instance of p counts against the budget: its
// memory limit.
func (p *pool) memoryOf() int64 {
	if m := p.version.Config.MemoryBytes; m > 0 {
		return m
	}
	return lambda.DefaultMemoryBytes
}

// pauseLocked takes in out of service and freezes it in the background.
func (p *pool) pauseLocked(in *instance, now time.Time) bool {
	if !p.e.background(func(context.Context) { p.e.freeze(p, in) }) {
		return false
	}
	in.paused, in.pausedAt = true, now
	p.e.pausedBytes.Add(p.memoryOf())
	return true
}

// unpauseLocked puts a paused in back into service; its taker thaws it
// (ready). No-op for an instance that is not paused.
func (p *pool) unpauseLocked(in *instance) {
	if !in.paused {
		return
	}
	in.paused, in.pausedAt = false, time.Time{}
	p.e.pausedBytes.Add(-p.memoryOf())
}

// resumeLocked takes a slot on the most recently used paused instance, for
// a request that found no free slot; nil when none is paused. The least
// recently used ones stay paused: they are the budget's first evictions.
func (p *pool) resumeLocked() *instance {
	var best *instance
	for _, in := range p.instances {
		if in.paused && !in.gone && (best == nil || in.idleSince.After(best.idleSince)) {
			best = in
		}
	}
	if best != nil {
		p.unpauseLocked(best)
		best.inflight++
		best.requests++
	}
	return best
}

// activeLocked counts the instances in service: not paused.
func (p *pool) activeLocked() int {
	n := 0
	for _, in := range p.instances {
		if !in.paused {
			n++
		}
	}
	return n
}

// maxPauseFailures is how many failed pauses in a row an instance is
// given before it is stopped instead. The cgroup v1 freezer gives up on a
// busy host ("unable to freeze") and thaws the container: the next reaper
// pass tries again.
const maxPauseFailures = 3

// freeze pauses in's container unless it was put back into service
// meanwhile. A pause that fails puts the instance back into service, for
// the next reaper pass to try again; after maxPauseFailures it stops: it
// was idle past its idle timeout, and without standby it would stop.
func (e *Engine) freeze(p *pool, in *instance) {
	in.freeze.Lock()
	defer in.freeze.Unlock()
	if in.frozen.Load() {
		return
	}
	p.mu.Lock()
	want := in.paused && !in.gone
	if want {
		// Marked before the pause is asked for: Docker lists the container
		// paused before its answer arrives, and a request that resumes the
		// instance from here on must wait for the pause and unpause it.
		in.frozen.Store(true)
	}
	p.mu.Unlock()
	if !want {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), pauseTimeout)
	defer cancel()
	if err := e.Driver.PauseInstance(ctx, in.ID); err != nil {
		e.pauseFailed(p, in, err)
		return
	}
	in.pauseFailures = 0
	e.Logger.Debug("instance paused", "function", in.Function, "version", in.Version, "container", short(in.ID))
}

// pauseFailed undoes a pause that failed, under in.freeze: the pause may
// have frozen the container before it failed (a timeout), so it is
// unpaused; one that cannot be stays marked frozen for its taker to thaw.
func (e *Engine) pauseFailed(p *pool, in *instance, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), pauseTimeout)
	defer cancel()
	if uerr := e.Driver.UnpauseInstance(ctx, in.ID); uerr == nil {
		in.frozen.Store(false)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !in.paused || in.gone {
		return
	}
	in.pauseFailures++
	if in.pauseFailures >= maxPauseFailures {
		e.Logger.Warn("cannot pause idle instance; stopping it", "function", in.Function, "version", in.Version, "container", short(in.ID), "failures", in.pauseFailures, "err", err)
		p.removeLocked(in)
		e.stopInstance(in)
		return
	}
	e.Logger.Warn("cannot pause idle instance; trying again", "function", in.Function, "version", in.Version, "container", short(in.ID), "err", err)
	p.unpauseLocked(in)
}

// thaw unpauses in's container if it may be frozen, after the pause in
// flight if any; a single atomic load when it is not. The unpause is not the request's to cancel: others may take
// the instance once it is back in service.
func (e *Engine) thaw(ctx context.Context, in *instance) error {
	if !in.frozen.Load() {
		return nil
	}
	in.freeze.Lock()
	defer in.freeze.Unlock()
	if !in.frozen.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pauseTimeout)
	defer cancel()
	start := time.Now()
	if err := e.Driver.UnpauseInstance(ctx, in.ID); err != nil {
		return err
	}
	in.frozen.Store(false)
	e.Logger.Debug("instance resumed", "function", in.Function, "version", in.Version, "container", short(in.ID), "took", time.Since(start))
	return nil
}

// thawQuietly thaws in before it stops, so that it gets its SIGTERM and
// grace rather than a kill once Docker's stop gives up on a frozen
// process.
func (e *Engine) thawQuietly(in *instance) {
	if err := e.thaw(context.Background(), in); err != nil {
		e.Logger.Debug("unpause before stop", "container", short(in.ID), "err", err)
	}
}

// enforceStandbyBudget stops the least recently used paused instances
// until the paused set fits StandbyMemory. It runs after each reaper pass,
// so the instances paused by that pass are weighed with the others.
func (e *Engine) enforceStandbyBudget() {
	e.evicting.Lock()
	defer e.evicting.Unlock()
	for e.pausedBytes.Load() > max(e.StandbyMemory, 0) {
		p, in := e.leastRecentlyPaused()
		if in == nil {
			return
		}
		p.mu.Lock()
		// Weighed again under the pool's lock: a request may have
		// resumed an instance since the loop's check.
		if in.paused && !in.gone && e.pausedBytes.Load() > max(e.StandbyMemory, 0) {
			e.Logger.Info("stopping paused instance: the paused instances exceed the standby memory budget",
				"function", in.Function, "version", in.Version, "container", short(in.ID), "budget_bytes", e.StandbyMemory)
			p.removeLocked(in)
			e.stopInstance(in)
		}
		p.mu.Unlock()
	}
}

// leastRecentlyPaused finds the paused instance whose last request ended
// first, across every function. It locks one pool at a time.
func (e *Engine) leastRecentlyPaused() (*pool, *instance) {
	var (
		bestPool *pool
		best     *instance
		used     time.Time
	)
	for _, st := range e.loaded() {
		for _, p := range st.pools() {
			p.mu.Lock()
			for _, in := range p.instances {
				if in.paused && !in.gone && (best == nil || in.idleSince.Before(used)) {
					bestPool, best, used = p, in, in.idleSince
				}
			}
			p.mu.Unlock()
		}
	}
	return bestPool, best
}

// stopPaused stops every paused instance, at Close: a paused container
// left behind would hold its memory with no server to resume it.
func (e *Engine) stopPaused() {
	for _, st := range e.loaded() {
		for _, p := range st.pools() {
			p.mu.Lock()
			for _, in := range append([]*instance(nil), p.instances...) {
				if in.paused && !in.gone {
					p.removeLocked(in)
					e.stopInstance(in)
				}
			}
			p.mu.Unlock()
		}
	}
}
