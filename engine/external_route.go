package engine

import (
	"cmp"
	"context"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

var _ lambda.ExternalFunctions = (*Engine)(nil)

func joinHostPort(ip string, port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) }

// externalOf returns the set serving name when external containers serve
// it: a deployed function of the name, routed or recorded, wins.
func (e *Engine) externalOf(name string) *extSet {
	set := e.ext.find(name)
	if set == nil || set.shadowed.Load() {
		return nil
	}
	e.mu.Lock()
	_, deployed := e.functions[name]
	e.mu.Unlock()
	if deployed {
		return nil
	}
	return set
}

// acquireExternal leases a replica of an external function: the least
// loaded, round-robin among equals. ok is false when name is not one.
func (e *Engine) acquireExternal(ctx context.Context, name string) (lease *lambda.Lease, ok bool, err error) {
	set := e.externalOf(name)
	if set == nil {
		return nil, false, nil
	}
	r := set.pick(time.Now())
	if r == nil {
		return nil, true, lambda.Errorf(lambda.EUNAVAILABLE, "function %q is served by containers found by their labels (%s=%s), and none of them runs now: start one, e.g. \"docker compose up -d\"", name, lambda.LabelExpose, name)
	}
	attr, seq := e.attributionOf(r.c.ID), uint64(0)
	if attr != nil {
		if id := lambda.InvocationIDFrom(ctx); id != "" {
			seq = attr.begin(id, lambda.TraceIDFrom(ctx), time.Now())
		} else {
			attr = nil
		}
	}
	var once sync.Once
	return &lambda.Lease{
		Function: name,
		Version:  lambda.ExternalVersion,
		Addr:     r.addr,
		Timeout:  lambda.ExternalTimeout,
		Instance: r.c.ID,
		Done: func(failed bool) {
			once.Do(func() {
				if attr != nil {
					attr.end(seq, time.Now())
				}
				set.release(r, failed, time.Now())
			})
		},
	}, true, nil
}

// pick takes the least loaded replica, starting the scan after the last
// one picked so that equals take turns; replicas that recently refused a
// connection come last. nil when there is none.
func (s *extSet) pick(now time.Time) *replica {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.replicas)
	if n == 0 {
		return nil
	}
	best := -1
	for i := range n {
		j := (s.next + i) % n
		if best < 0 || s.replicas[j].before(s.replicas[best], now) {
			best = j
		}
	}
	r := s.replicas[best]
	s.next = (best + 1) % n
	r.inflight++
	r.requests++
	return r
}

// before reports whether r is a better pick than o.
func (r *replica) before(o *replica, now time.Time) bool {
	rf, of := r.failedUntil.After(now), o.failedUntil.After(now)
	if rf != of {
		return of
	}
	return r.inflight < o.inflight
}

func (s *extSet) release(r *replica, failed bool, now time.Time) {
	s.mu.Lock()
	r.inflight--
	if failed {
		r.failedUntil = now.Add(failedBackoff)
	}
	s.mu.Unlock()
}

// lookupExternal is LookupFunction for an external function: the
// default scaling of an http function, no version.
func (e *Engine) lookupExternal(name string) (lambda.ActiveFunction, bool) {
	if e.externalOf(name) == nil {
		return lambda.ActiveFunction{}, false
	}
	return lambda.ActiveFunction{Name: name, Version: lambda.ExternalVersion, Scaling: lambda.Scaling{}.Effective(lambda.ProtocolHTTP)}, true
}

// refuseExternalDelete refuses to delete a function that external
// containers serve: the engine did not start them and does not stop them.
func (e *Engine) refuseExternalDelete(name string) error {
	set := e.externalOf(name)
	if set == nil {
		return nil
	}
	f := e.describeExternal(set)
	how := "stop them with Compose (\"docker compose stop SERVICE\" in its project) or remove their " + lambda.LabelExpose + " label"
	if len(f.Projects) == 1 && len(f.Services) == 1 {
		how = "stop them with Compose: docker compose -p " + f.Projects[0] + " stop " + f.Services[0]
	}
	return lambda.Errorf(lambda.ECONFLICT, "function %q was not deployed with Lambda: it is served by containers found by their Docker labels (runtime external), which Lambda does not stop; %s", name, how)
}

// ExternalFunctions implements lambda.ExternalFunctions.
func (e *Engine) ExternalFunctions(context.Context) ([]*lambda.ExternalFunction, error) {
	e.ext.mu.Lock()
	sets := make([]*extSet, 0, len(e.ext.byName))
	for _, s := range e.ext.byName {
		sets = append(sets, s)
	}
	e.ext.mu.Unlock()
	out := make([]*lambda.ExternalFunction, 0, len(sets))
	for _, s := range sets {
		if f := e.describeExternal(s); len(f.Replicas) > 0 && !f.Shadowed {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *lambda.ExternalFunction) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// ExternalFunction implements lambda.ExternalFunctions.
func (e *Engine) ExternalFunction(_ context.Context, name string) (*lambda.ExternalFunction, error) {
	set := e.ext.find(name)
	if set == nil {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "function %q not found", name)
	}
	return e.describeExternal(set), nil
}

// describeExternal is set as the API shows it, replicas with their load.
func (e *Engine) describeExternal(set *extSet) *lambda.ExternalFunction {
	f := &lambda.ExternalFunction{Name: set.name, Shadowed: set.shadowed.Load(), Replicas: []*lambda.Instance{}}
	set.mu.Lock()
	defer set.mu.Unlock()
	f.Port = set.port
	for _, r := range set.replicas {
		in := &lambda.Instance{
			ID: r.c.ID, Function: set.name, Version: lambda.ExternalVersion, Addr: r.addr, Running: true, CreatedAt: r.c.Started,
			State: lambda.InstanceIdle, Inflight: r.inflight, Requests: r.requests,
		}
		if r.inflight > 0 {
			in.State = lambda.InstanceBusy
		}
		f.Replicas = append(f.Replicas, in)
		if r.c.Project != "" && !slices.Contains(f.Projects, r.c.Project) {
			f.Projects = append(f.Projects, r.c.Project)
		}
		if r.c.Service != "" && !slices.Contains(f.Services, r.c.Service) {
			f.Services = append(f.Services, r.c.Service)
		}
	}
	return f
}

// IsExternal reports whether containers found by their labels serve name:
// no deployed function has its name.
func (e *Engine) IsExternal(name string) bool { return e.externalOf(name) != nil }
