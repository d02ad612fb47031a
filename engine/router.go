package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdahq/lambda"
)

// fnState is the routing state of one function: its active version and the
// instance serving it. A pool manager replaces this with many instances.
type fnState struct {
	mu       sync.Mutex
	version  *lambda.Version
	current  *instance
	starting chan struct{} // closed when an in-progress start finishes
	startErr error
}

// instance is a container plus the requests in flight on it.
type instance struct {
	*lambda.Instance
	inflight atomic.Int64
	gone     atomic.Bool   // left the routing table; stop when idle
	idle     chan struct{} // signalled when inflight drops to 0 while gone
	stopOnce sync.Once
}

func newInstance(in *lambda.Instance) *instance {
	return &instance{Instance: in, idle: make(chan struct{}, 1)}
}

func (in *instance) release() {
	if in.inflight.Add(-1) == 0 && in.gone.Load() {
		select {
		case in.idle <- struct{}{}:
		default:
		}
	}
}

// Acquire implements lambda.Router. Concurrent requests that find no
// instance share one cold start.
func (e *Engine) Acquire(ctx context.Context, name string) (*lambda.Lease, error) {
	st, err := e.state(ctx, name)
	if err != nil {
		return nil, err
	}
	cold := false
	for {
		st.mu.Lock()
		if in := st.current; in != nil {
			in.inflight.Add(1)
			v := st.version
			st.mu.Unlock()
			return e.lease(st, in, v, cold), nil
		}
		if cold && st.startErr != nil {
			err := st.startErr
			st.mu.Unlock()
			return nil, err
		}
		wait := st.starting
		if wait == nil {
			wait = make(chan struct{})
			st.starting = wait
			go e.coldStart(st, st.version, wait)
		}
		st.mu.Unlock()
		cold = true
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, lambda.Errorf(lambda.ETIMEOUT, "function %q did not start in time: %w", name, ctx.Err())
		}
	}
}

// coldStart starts an instance of v for st and publishes it, waking every
// request that waits on done. It runs detached from any one request so that
// a client hanging up does not waste the start for the others.
func (e *Engine) coldStart(st *fnState, v *lambda.Version, done chan struct{}) {
	ctx, cancel := context.WithTimeout(e.ctx, e.StartTimeout)
	defer cancel()
	in, err := e.startInstance(ctx, v)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.starting = nil
	st.startErr = err
	defer close(done)
	if err != nil {
		return
	}
	if st.version == nil || st.version.Number != v.Number || st.current != nil {
		// A switch happened meanwhile: this instance is not wanted.
		e.retire(in)
		return
	}
	st.current = in
}

func (e *Engine) lease(st *fnState, in *instance, v *lambda.Version, cold bool) *lambda.Lease {
	var once sync.Once
	return &lambda.Lease{
		Function: v.Function,
		Version:  v.Number,
		Addr:     in.Addr,
		Timeout:  time.Duration(v.Config.Timeout),
		Cold:     cold,
		Done: func(failed bool) {
			once.Do(func() {
				in.release()
				if failed {
					e.dropFailed(st, in)
				}
			})
		},
	}
}

// state returns the routing state of name, loading its active version from
// the store on first use.
func (e *Engine) state(ctx context.Context, name string) (*fnState, error) {
	e.mu.Lock()
	st, ok := e.functions[name]
	e.mu.Unlock()
	if ok {
		return st, nil
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
	st = &fnState{version: fn.Active}
	e.functions[name] = st
	return st, nil
}

// switchTo makes in (running v) the instance that serves name and retires
// the previous one once its in-flight requests finish.
func (e *Engine) switchTo(name string, v *lambda.Version, in *instance) {
	e.mu.Lock()
	st, ok := e.functions[name]
	if !ok {
		st = &fnState{}
		e.functions[name] = st
	}
	e.mu.Unlock()
	st.mu.Lock()
	old := st.current
	st.version, st.current, st.startErr = v, in, nil
	st.mu.Unlock()
	if old != nil {
		e.retire(old)
	}
}

// forget drops name from routing and retires its instance.
func (e *Engine) forget(name string) {
	e.mu.Lock()
	st, ok := e.functions[name]
	delete(e.functions, name)
	e.mu.Unlock()
	if !ok {
		return
	}
	st.mu.Lock()
	old := st.current
	st.current = nil
	st.mu.Unlock()
	if old != nil {
		e.retire(old)
	}
}

// dropInstance removes in from routing if it is still current, e.g. after
// its container exited; the next request starts a replacement.
func (e *Engine) dropInstance(id string) {
	e.mu.Lock()
	states := make([]*fnState, 0, len(e.functions))
	for _, st := range e.functions {
		states = append(states, st)
	}
	e.mu.Unlock()
	for _, st := range states {
		st.mu.Lock()
		in := st.current
		if in != nil && in.ID == id {
			st.current = nil
		} else {
			in = nil
		}
		st.mu.Unlock()
		if in != nil {
			e.Logger.Warn("instance exited; the next request starts a new one", "function", in.Function, "version", in.Version, "container", short(in.ID))
			e.retire(in)
		}
	}
}
