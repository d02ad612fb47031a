package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// startInstance starts a container for v and waits until it listens. On
// failure the container is removed and the error carries its log tail.
func (e *Engine) startInstance(ctx context.Context, v *lambda.Version) (*instance, error) {
	spec := lambda.InstanceSpec{
		Function:    v.Function,
		Version:     v.Number,
		Image:       v.ImageID,
		Env:         instanceEnv(v),
		Port:        v.Config.Port,
		MemoryBytes: v.Config.MemoryBytes,
	}
	li, err := e.Driver.StartInstance(ctx, spec)
	if err != nil {
		return nil, err
	}
	e.owned.Store(li.ID, true)
	if err := e.waitReady(ctx, li); err != nil {
		logs, _ := e.Driver.InstanceLogs(context.WithoutCancel(ctx), li.ID, 20)
		e.stopContainer(li.ID)
		if logs = strings.TrimSpace(logs); logs != "" {
			err = fmt.Errorf("%w\nlast lines of the function's output:\n%s", err, logs)
		}
		return nil, &lambda.Error{Code: lambda.EFUNCTION, Message: err.Error(), Err: err}
	}
	e.Logger.Info("instance ready", "function", v.Function, "version", v.Number, "container", short(li.ID), "addr", li.Addr)
	return newInstance(li), nil
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
	return env
}

// waitReady dials the instance with a short, growing backoff until it
// accepts a connection, the container exits, or ctx ends. Accepting a TCP
// connection is the readiness signal: an HTTP probe would invoke the
// function and run user code for nothing.
func (e *Engine) waitReady(ctx context.Context, in *lambda.Instance) error {
	backoff := time.Millisecond
	var d net.Dialer
	for {
		if e.exits.exited(in.ID) {
			return fmt.Errorf("function exited before listening on port %s (it must serve HTTP on $PORT)", port(in.Addr))
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
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("function did not listen on port %s within %s (it must serve HTTP on $PORT)", port(in.Addr), e.StartTimeout)
			}
			return ctx.Err()
		case <-e.exits.changed(in.ID):
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 50*time.Millisecond)
	}
}

// dropFailed is called after a request to in broke off (connection
// refused, reset or closed without an answer). The instance leaves routing
// at once and is stopped once its other requests finish: probing it
// instead would race with a process that is still exiting.
func (e *Engine) dropFailed(st *fnState, in *instance) {
	st.mu.Lock()
	if st.current == in {
		st.current = nil
	}
	st.mu.Unlock()
	e.Logger.Warn("instance failed a request; the next request starts a new one", "function", in.Function, "container", short(in.ID))
	e.retire(in)
}

// retire stops in once its in-flight requests have finished (or the drain
// timeout passed). It does not block.
func (e *Engine) retire(in *instance) {
	in.stopOnce.Do(func() {
		in.gone.Store(true)
		e.background(func(ctx context.Context) {
			if in.inflight.Load() > 0 {
				select {
				case <-in.idle:
				case <-time.After(e.DrainTimeout):
				case <-ctx.Done():
					return
				}
			}
			e.stopContainer(in.ID)
		})
	})
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
