package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// Acquire implements lambda.Router: a slot on a warm instance of the
// version the request's qualifier routes to (alias_route.go; none: live,
// the active version or its split), a place in its queue while an
// instance starts, or ETHROTTLED. Busy never means a 5xx.
func (e *Engine) Acquire(ctx context.Context, name string) (*lambda.Lease, error) {
	start := e.Clock.Now()
	if lease, ok, err := e.acquireExternal(ctx, name); ok {
		return lease, err
	}
	st, err := e.state(ctx, name)
	if err != nil {
		return nil, err
	}
	sc, p, err := e.route(ctx, st)
	if err != nil {
		// A private function's aliases and versions are not for
		// strangers to probe: they learn of the key first.
		if fsc, _ := st.effective(); fsc.Auth == lambda.AuthKey {
			if aerr := lambda.AuthorizeInvoke(ctx, name); aerr != nil {
				return nil, aerr
			}
		}
		return nil, err
	}
	if sc.Auth == lambda.AuthKey {
		// Before admission, so that refused requests take no capacity
		// and start no instance.
		if err := lambda.AuthorizeInvoke(ctx, name); err != nil {
			return nil, err
		}
	}
	if err := st.admit(sc); err != nil {
		return nil, err
	}
	for {
		in, cold, err := p.acquire(ctx, sc)
		if err == errDraining {
			// The version's pool was replaced (a deploy, an alias's
			// change): the request goes where it is routed now.
			prev := p
			if sc, p, err = e.route(ctx, st); err == nil && p == prev {
				// Drained with no successor: the function was deleted.
				err = errDeleted(name)
			} else if err == nil {
				continue
			}
		}
		if err != nil {
			st.finish()
			return nil, err
		}
		return e.lease(ctx, st, in, cold, e.Clock.Now().Sub(start)), nil
	}
}

// admit counts a request against the function's reserved concurrency.
func (st *fnState) admit(sc lambda.Scaling) error {
	n := st.inflight.Add(1)
	if sc.Reserved == nil {
		return nil
	}
	if *sc.Reserved == 0 {
		st.finish()
		return throttled(lambda.ThrottleReserved, "function %q is disabled: its reserved concurrency is 0 (raise it with \"lambda config %s --reserved-concurrency N\")", st.name, st.name)
	}
	if n > int64(*sc.Reserved) {
		st.finish()
		return throttled(lambda.ThrottleReserved, "function %q is at its reserved concurrency of %d requests", st.name, *sc.Reserved)
	}
	return nil
}

var errDraining = fmt.Errorf("pool is draining")

// acquire takes a slot now or queues for one, and thaws the instance it
// got if it was paused (standby.go). An instance that cannot be thawed
// leaves the pool and the request tries again.
func (p *pool) acquire(ctx context.Context, sc lambda.Scaling) (*instance, bool, error) {
	for attempt := 0; ; attempt++ {
		in, cold, err := p.acquireSlot(ctx, sc)
		if err != nil {
			return nil, false, err
		}
		err = p.e.thaw(ctx, in)
		if err == nil {
			return in, cold, nil
		}
		p.e.Logger.Warn("cannot resume paused instance; dropping it", "function", in.Function, "version", in.Version, "container", short(in.ID), "err", err)
		p.release(in, true)
		if attempt == 2 {
			return nil, false, lambda.Errorf(lambda.EUNAVAILABLE, "cannot resume a paused instance of %q: %v", p.fn.name, err)
		}
	}
}

// acquireSlot takes a slot now, on a free instance or else a paused one,
// or queues for one.
func (p *pool) acquireSlot(ctx context.Context, sc lambda.Scaling) (*instance, bool, error) {
	p.mu.Lock()
	if p.draining {
		p.mu.Unlock()
		return nil, false, errDraining
	}
	if in := p.takeLocked(sc.Concurrency); in != nil {
		p.mu.Unlock()
		return in, false, nil
	}
	if in := p.resumeLocked(); in != nil {
		p.mu.Unlock()
		return in, false, nil
	}
	if len(p.queue) >= p.e.QueueSize {
		p.mu.Unlock()
		return nil, false, throttled(lambda.ThrottleQueueFull, "function %q is at capacity (%d instances of %d concurrent requests, %d queued)", p.fn.name, sc.MaxInstances, sc.Concurrency, p.e.QueueSize)
	}
	w := &waiter{ready: make(chan *instance, 1), fail: make(chan error, 1)}
	p.queue = append(p.queue, w)
	p.growLocked(sc)
	p.mu.Unlock()

	select {
	case in := <-w.ready:
		return in, w.cold, nil
	case err := <-w.fail:
		return nil, false, err
	case <-ctx.Done():
		if in := p.abandon(w); in != nil {
			in.owner.Load().release(in, false)
		}
		return nil, false, lambda.Errorf(lambda.ETIMEOUT, "no instance of %q became free before the request ended: %w", p.fn.name, ctx.Err())
	case <-p.e.Clock.After(p.e.QueueTimeout):
		if in := p.abandon(w); in != nil {
			return in, w.cold, nil // handed over just as the wait ran out
		}
		return nil, false, throttled(lambda.ThrottleQueueTimeout, "function %q is at capacity: no instance became free within %s", p.fn.name, p.e.QueueTimeout)
	}
}

func throttled(reason lambda.ThrottleReason, format string, args ...any) error {
	return lambda.Throttled(reason, fmt.Sprintf(format, args...))
}

func (e *Engine) lease(ctx context.Context, st *fnState, in *instance, cold bool, wait time.Duration) *lambda.Lease {
	var once sync.Once
	v := in.owner.Load().version
	// The wall clock, as Docker's timestamps of the output (logs_attribution.go).
	attr, seq := e.attributionOf(in.ID), uint64(0)
	if attr != nil {
		if id := lambda.InvocationIDFrom(ctx); id != "" {
			seq = attr.begin(id, lambda.TraceIDFrom(ctx), time.Now())
		} else {
			attr = nil
		}
	}
	return &lambda.Lease{
		Function: st.name,
		Version:  v.Number,
		Addr:     in.Addr,
		Timeout:  time.Duration(v.Config.Timeout),
		Cold:     cold,
		Wait:     wait,
		// The REPORT line's Memory Size and instance (http/invoker_report.go).
		Instance:    in.ID,
		MemoryBytes: v.Config.MemoryBytes,
		Shim:        framed(v.Config.Protocol),
		Done: func(failed bool) {
			once.Do(func() {
				if attr != nil {
					attr.end(seq, time.Now())
				}
				in.owner.Load().release(in, failed)
				st.finish()
			})
		},
		Diagnose: func(ctx context.Context) error { return e.diagnose(ctx, in, v) },
	}
}
