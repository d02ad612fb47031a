package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdahq/lambda"
)

// startInstance starts a container for v and waits, at most timeout, until
// it is ready. On failure the container is removed and the error says what
// was waited for and carries the container's log tail; when ctx ends first
// (the deploy was cancelled) the error is why it ended.
func (e *Engine) startInstance(ctx context.Context, v *lambda.Version, timeout time.Duration) (*instance, error) {
	return e.startInstanceOf(ctx, v, timeout, nil)
}

// startInstanceOf is startInstance for pool p (nil: none), whose spare it
// starts when it has one (precreate.go).
func (e *Engine) startInstanceOf(ctx context.Context, v *lambda.Version, timeout time.Duration, p *pool) (*instance, error) {
	spec := instanceSpec(v)
	if in, ok := e.fromPreinit(ctx, v, spec, timeout); ok {
		return in, nil
	}
	// The start timeout is the function's budget: it runs from the moment
	// its container runs, so that a busy container engine does not spend it.
	t0 := time.Now()
	li, spare, err := e.launch(ctx, spec, p)
	if err != nil {
		return nil, err
	}
	running := time.Now()
	bounded, cancel := context.WithTimeoutCause(ctx, timeout, errNotReady)
	defer cancel()
	in := &instance{Instance: li}
	e.live.Store(li.ID, in)
	e.collectLogs(li, v.Config.Protocol, false)
	if err := e.waitReady(bounded, li, v, timeout); err != nil {
		if e.tasks.isClosed() {
			// Close stopped waiting for this start and its owner may have
			// closed the driver: the next Open's reconcile removes it.
			e.live.Delete(li.ID)
			return nil, fmt.Errorf("the engine closed while an instance of %s started: %w", v.Function, err)
		}
		logs, _ := e.Driver.InstanceLogs(context.WithoutCancel(ctx), li.ID, 20)
		e.live.Delete(li.ID)
		e.stopContainer(li.ID)
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if logs = strings.TrimSpace(logs); logs != "" {
			err = fmt.Errorf("%w\nlast lines of the function's output:\n%s", err, logs)
		}
		return nil, &lambda.Error{Code: lambda.EFUNCTION, Message: err.Error(), Err: err}
	}
	// The two steps' times tell the container engine's share of a start
	// (create, start, inspect) from the function's (until it listens).
	e.Logger.Info("instance ready", "function", v.Function, "version", v.Number, "container", short(li.ID), "addr", li.Addr, "precreated", spare,
		"docker", running.Sub(t0).Round(time.Millisecond), "ready", time.Since(running).Round(time.Millisecond))
	return in, nil
}

// instanceEnv is the function's environment plus what the platform tells
// every instance about itself.
func instanceEnv(v *lambda.Version) map[string]string {
	env := make(map[string]string, len(v.Config.Env)+3)
	for k, val := range v.Config.Env {
		env[k] = val
	}
	env["LAMBDA_FUNCTION_NAME"] = v.Function
	env["LAMBDA_FUNCTION_VERSION"] = strconv.Itoa(v.Number)
	env["LAMBDA_FUNCTION_MEMORY_MB"] = strconv.FormatInt(v.Config.MemoryBytes>>20, 10)
	env["LAMBDA_FUNCTION_TIMEOUT_MS"] = strconv.FormatInt(time.Duration(v.Config.Timeout).Milliseconds(), 10)
	if v.Config.Handler != "" {
		env["LAMBDA_HANDLER"] = v.Config.Handler
	}
	return env
}

// createInstance creates and starts spec's container and marks it owned
// before reconcile can list it (see starts).
func (e *Engine) createInstance(ctx context.Context, spec lambda.InstanceSpec) (*lambda.Instance, error) {
	ctx, cancel := context.WithTimeout(ctx, containerStartTimeout)
	defer cancel()
	e.starts.RLock()
	defer e.starts.RUnlock()
	li, err := e.Driver.StartInstance(ctx, spec)
	if err != nil {
		return nil, err
	}
	e.owned.Store(li.ID, true)
	return li, nil
}

// errNotReady is the cause of a start's context ending at its timeout.
var errNotReady = errors.New("start timeout")

// containerStartTimeout bounds creating and starting a container (150-400
// ms as a rule; much longer means the container engine is in trouble).
const containerStartTimeout = 2 * time.Minute

// waitReady dials the instance every few milliseconds until it accepts a
// connection, the container exits, or ctx ends, so a cold start is noticed
// within ~5 ms of the function listening (a refused dial costs ~20 µs). Accepting a TCP
// connection is the readiness signal: an HTTP probe would invoke the
// function and run user code for nothing. The shims of the aws and handler
// protocols listen only once the function asked for its first event.
func (e *Engine) waitReady(ctx context.Context, in *lambda.Instance, v *lambda.Version, timeout time.Duration) error {
	backoff := time.Millisecond
	var d net.Dialer
	for {
		if e.exits.exited(in.ID) {
			return exitedBeforeReady(v.Config.Protocol, port(in.Addr))
		}
		dctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
		c, err := d.DialContext(dctx, "tcp", in.Addr)
		cancel()
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			if context.Cause(ctx) == errNotReady {
				return fmt.Errorf("instance did not become ready within %s: waited for %s; if it only needs longer, raise its --start-timeout", timeout, readiness(v.Config.Protocol, strconv.Itoa(v.Config.Port)))
			}
			return ctx.Err()
		case <-e.exits.changed(in.ID):
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Millisecond)
	}
}

// readiness says what an instance of a function speaking protocol must do
// to become ready.
func readiness(protocol, port string) string {
	switch protocol {
	case lambda.ProtocolAWS, lambda.ProtocolHandler:
		return "the function to call the Runtime API /next (the first event is asked for once initialisation is done)"
	case lambda.ProtocolStdio:
		return "the shim to listen on port " + port
	}
	return "the function to listen on port " + port + " (it must serve HTTP on $PORT)"
}

// instance is a container in a pool. Fields below Instance are guarded by
// the pool's mutex.
type instance struct {
	*lambda.Instance
	owner     atomic.Pointer[pool] // set once it joins a pool; read without its lock
	inflight  int
	requests  int64
	idleSince time.Time
	gone      bool // left the pool: stops once idle
	stopOnce  sync.Once
	// Paused standby (standby.go): paused and pausedAt under the pool's
	// mutex; frozen changes under freeze, with the driver's calls.
	paused   bool
	pausedAt time.Time
	// pauseFailures counts failed pauses in a row; only freeze, under
	// freeze, touches it (standby.go).
	pauseFailures int
	freeze        sync.Mutex
	frozen        atomic.Bool
}

// stopInstance stops in's container in the background and frees its slot
// in the host's instance budget. It runs once per instance.
func (e *Engine) stopInstance(in *instance) {
	in.stopOnce.Do(func() {
		e.live.Delete(in.ID)
		e.background(func(context.Context) {
			e.thawQuietly(in)
			e.stopContainer(in.ID)
			e.releaseSlot()
		})
	})
}

// stopAfterDrain stops in after DrainTimeout even if a request still holds
// it; release stops it earlier when its last request ends.
func (e *Engine) stopAfterDrain(in *instance) {
	e.background(func(ctx context.Context) {
		select {
		case <-e.Clock.After(e.DrainTimeout):
			e.stopInstance(in)
		case <-ctx.Done():
		}
	})
}

// dropInstance removes the instance whose container exited from its pool;
// its in-flight requests fail (502) and demand starts a replacement.
func (e *Engine) dropInstance(id string) {
	v, ok := e.live.Load(id)
	if !ok {
		return
	}
	in := v.(*instance)
	p := in.owner.Load()
	if p == nil {
		return
	}
	sc := p.fn.scalingOf(p)
	p.mu.Lock()
	wasIn := !in.gone
	p.removeLocked(in)
	p.growLocked(sc)
	p.mu.Unlock()
	if wasIn {
		e.Logger.Warn("instance exited; demand starts a new one", "function", in.Function, "version", in.Version, "container", short(in.ID))
	}
	e.stopInstance(in)
}

func (e *Engine) stopContainer(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), e.StopGrace+30*time.Second)
	defer cancel()
	if err := e.Driver.StopInstance(ctx, id, e.StopGrace); err != nil {
		e.Logger.Error("stop instance", "container", short(id), "err", err)
	}
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
