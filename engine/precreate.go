package engine

import (
	"context"
	"time"

	"github.com/lambdahq/lambda"
)

// Pre-created instances: a pool whose version can go cold (its minimum is
// below its maximum) keeps one container of it created and not started,
// its spare, so that a cold start is Docker's start and the function's
// readiness without the create. A start takes the spare and a background
// create replaces it. A created container runs nothing and holds no
// address (Docker connects it to its network at its start), so it is no
// instance: it does not count against the capacity and Instances leaves
// it out. It goes when its pool drains (deploy, rollback, delete) and
// at Close; a restarted server's reconcile removes those left behind, as
// every container that does not run.

// spareRetry is how long a pool waits after a failed create before it
// tries again (an image removed under it, a daemon in trouble).
const spareRetry = 30 * time.Second

// ownedSpare marks a spare in Engine.owned (started ones hold true).
type ownedSpare struct{}

func (e *Engine) precreateDriver() (lambda.PrecreateDriver, bool) {
	d, ok := e.Driver.(lambda.PrecreateDriver)
	return d, ok
}

// instanceSpec is the container spec of v's instances.
func instanceSpec(v *lambda.Version) lambda.InstanceSpec {
	return lambda.InstanceSpec{
		Function:    v.Function,
		Version:     v.Number,
		Image:       v.ImageID,
		Env:         instanceEnv(v),
		Port:        v.Config.Port,
		MemoryBytes: v.Config.MemoryBytes,
		Placement:   v.Config.Placement,
	}
}

// launch starts spec's container from p's spare when it has one, else
// creates one; either way p gets a new spare in the background. p is nil
// for starts outside a pool (a deploy's warm-up).
func (e *Engine) launch(ctx context.Context, spec lambda.InstanceSpec, p *pool) (*lambda.Instance, bool, error) {
	if p == nil {
		li, err := e.createInstance(ctx, spec)
		return li, false, err
	}
	id := p.takeSpare()
	p.refillSpare()
	if id != "" {
		if li, err := e.startSpare(ctx, id, spec); err == nil {
			return li, true, nil
		} else if ctx.Err() == nil {
			e.Logger.Warn("pre-created container did not start; creating another", "function", spec.Function, "version", spec.Version, "container", short(id), "err", err)
		}
	}
	li, err := e.createInstance(ctx, spec)
	return li, false, err
}

func (e *Engine) startSpare(ctx context.Context, id string, spec lambda.InstanceSpec) (*lambda.Instance, error) {
	d, _ := e.precreateDriver()
	ctx, cancel := context.WithTimeout(ctx, containerStartTimeout)
	defer cancel()
	e.starts.RLock()
	defer e.starts.RUnlock()
	e.owned.Store(id, true)
	li, err := d.StartCreated(ctx, id, spec)
	if err != nil {
		e.stopContainer(id) // StartCreated removed it, unless the daemon could not be asked
	}
	return li, err
}

// takeSpare returns p's spare's ID ("" none) and forgets it.
func (p *pool) takeSpare() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := p.spare
	p.spare = ""
	return id
}

// refillSpare creates p's spare in the background when p can go cold and
// has none, nor one coming.
func (p *pool) refillSpare() {
	d, ok := p.e.precreateDriver()
	if !ok {
		return
	}
	sc := p.fn.scalingOf(p)
	now := p.e.Clock.Now()
	p.mu.Lock()
	want := !p.draining && p.spare == "" && !p.spareCreating && sc.MinInstances < sc.MaxInstances &&
		(p.spareFailed.IsZero() || now.Sub(p.spareFailed) >= spareRetry)
	if want {
		p.spareCreating = p.e.background(func(ctx context.Context) { p.createSpare(ctx, d) })
	}
	p.mu.Unlock()
}

func (p *pool) createSpare(ctx context.Context, d lambda.PrecreateDriver) {
	e := p.e
	spec := instanceSpec(p.version)
	cctx, cancel := context.WithTimeout(ctx, containerStartTimeout)
	e.starts.RLock()
	id, err := d.CreateInstance(cctx, spec)
	if err == nil {
		e.owned.Store(id, ownedSpare{})
	}
	e.starts.RUnlock()
	cancel()
	p.mu.Lock()
	p.spareCreating = false
	if err != nil {
		p.spareFailed = e.Clock.Now()
		p.mu.Unlock()
		if ctx.Err() == nil {
			e.Logger.Warn("cannot pre-create a container; cold starts create theirs", "function", spec.Function, "version", spec.Version, "err", err)
		}
		return
	}
	p.spareFailed = time.Time{}
	if p.draining || ctx.Err() != nil {
		// Drained (or closing) while it was created: nothing will take it.
		p.mu.Unlock()
		e.stopContainer(id)
		return
	}
	p.spare = id
	p.mu.Unlock()
}

// dropSpare removes p's spare, once p drains.
func (p *pool) dropSpare() {
	if id := p.takeSpare(); id != "" {
		p.e.background(func(context.Context) { p.e.stopContainer(id) })
	}
}

// dropSpares removes every pool's spare, at Close.
func (e *Engine) dropSpares() {
	for _, st := range e.loaded() {
		for _, p := range st.pools() {
			p.dropSpare()
		}
	}
}

// isSpare reports whether id is a spare not started yet.
func (e *Engine) isSpare(id string) bool {
	v, _ := e.owned.Load(id)
	_, ok := v.(ownedSpare)
	return ok
}
