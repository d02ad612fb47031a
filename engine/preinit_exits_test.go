package engine_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lambdahq/lambda"
)

// newPreinitEnvLogged is newPreinitEnv with the engine's log kept.
func newPreinitEnvLogged(t *testing.T, size int, setup func(*env)) (*env, *preinitDriver, *initServer, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	e, d, inits := newPreinitEnv(t, size, func(e *env) {
		e.eng.Logger = slog.New(slog.NewTextHandler(logs, nil))
		if setup != nil {
			setup(e)
		}
	})
	return e, d, inits, logs
}

// listed reports whether the driver still lists the container id.
func (e *env) listed(t *testing.T, id string) bool {
	t.Helper()
	list, err := e.driver.ListInstances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(list, func(in *lambda.Instance) bool { return in.ID == id })
}

// watching returns once the engine hears of exits: its watcher subscribes
// a moment after it opened, and an exit before goes unheard (as Docker's
// before a server starts). It crashes name's instances and waits for the
// engine to drop them.
func (e *env) watching(t *testing.T, name string) {
	t.Helper()
	for _, in := range e.running(t, name) {
		if err := e.driver.Kill(in.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the engine to process the exit", func() bool { return !e.eng.Live(in.ID) })
	}
}

// TestPreinitDeadGenericInstanceLeavesThePool: a generic instance that
// dies while it waits (killed, out of memory) leaves its pool as soon as
// the exit is reported, is logged and removed, and a new one replaces
// it: the next cold start is given the live one. Before, the dead one
// stayed in the pool, no new one was started, and the cold start was
// given the dead container.
func TestPreinitDeadGenericInstanceLeavesThePool(t *testing.T) {
	for _, tc := range []struct {
		name string
		kill func(e *env, id string) error
	}{
		{"killed", func(e *env, id string) error { return e.driver.Kill(id) }},
		{"out of memory", func(e *env, id string) error { return e.driver.OOM(id) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, d, inits, logs := newPreinitEnvLogged(t, 1, nil)
			pythonRuntime(t, e, "lambda-runtime-python:t1", "base1")
			e.mustDeploy(t, "greet", lambda.Config{})
			eventually(t, "a generic instance and the code", func() bool { return e.preinitReady(t, "greet") == 1 })
			e.watching(t, "greet")
			_, ids := d.started()
			if err := tc.kill(e, ids[0]); err != nil {
				t.Fatal(err)
			}
			eventually(t, "a new generic instance in place of the dead one", func() bool {
				_, ids := d.started()
				return len(ids) == 2 && e.preinitReady(t, "greet") == 1
			})
			eventually(t, "the dead container removed", func() bool { return !e.listed(t, ids[0]) })
			log := logs.String()
			if !strings.Contains(log, "level=WARN msg=\"pre-initialized instance exited while it waited") ||
				!strings.Contains(log, "runtime=python") || !strings.Contains(log, "container="+ids[0][:12]) {
				t.Errorf("log:\n%s\nwant a warning naming the runtime and the dead container", log)
			}

			_, ids = d.started()
			if served := e.coldStart(t, "greet"); served != ids[1] {
				t.Fatalf("the cold start was served by %s, want the live generic instance %s", served, ids[1])
			}
			if envs, _ := inits.inits(); len(envs) != 1 {
				t.Errorf("%d inits, want 1: the live instance's", len(envs))
			}
			if strings.Contains(logs.String(), "failed its init") {
				t.Errorf("log:\n%s\nwant no failed init", logs.String())
			}
		})
	}
}

// TestPreinitQuickDeathsWaitForAColdStart: generic instances that die
// soon after their start, more in a row than the pool holds (a runtime
// image whose interpreter crashes), no longer refill the pool at once,
// which would start containers in a loop; the next cold start refills it.
func TestPreinitQuickDeathsWaitForAColdStart(t *testing.T) {
	e, d, _, logs := newPreinitEnvLogged(t, 1, nil)
	pythonRuntime(t, e, "lambda-runtime-python:t1", "base1")
	e.mustDeploy(t, "greet", lambda.Config{})
	eventually(t, "a generic instance and the code", func() bool { return e.preinitReady(t, "greet") == 1 })
	e.watching(t, "greet")
	_, ids := d.started()
	if err := e.driver.Kill(ids[0]); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a new generic instance", func() bool { _, ids = d.started(); return len(ids) == 2 && e.preinitReady(t, "greet") == 1 })
	if err := e.driver.Kill(ids[1]); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the second dead instance out of the pool, not replaced", func() bool {
		return e.preinitReady(t, "greet") == 0 && strings.Contains(logs.String(), "container="+ids[1][:12]+" exit_code=137 oom=false refill=false")
	})
	e.coldStart(t, "greet")
	eventually(t, "the cold start to refill the pool", func() bool { return e.preinitReady(t, "greet") == 1 })
}

// dyingDriver's generic instances die as soon as they are started, once
// watched is closed.
type dyingDriver struct {
	*preinitDriver
	watched chan struct{}
}

func (d dyingDriver) StartPreinit(ctx context.Context, ps lambda.PreinitSpec) (*lambda.Instance, error) {
	select {
	case <-d.watched:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	li, err := d.preinitDriver.StartPreinit(ctx, ps)
	if err == nil {
		err = d.Kill(li.ID)
	}
	return li, err
}

// TestPreinitGenericInstanceDeadBeforeReady: a generic instance whose
// container exits before its shim listens is a failed start at once, not
// after the start's timeout (2 minutes), and never enters the pool.
func TestPreinitGenericInstanceDeadBeforeReady(t *testing.T) {
	watched := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(watched) }) }
	e, d, _, logs := newPreinitEnvLogged(t, 1, func(e *env) {
		e.eng.Driver = dyingDriver{e.eng.Driver.(*preinitDriver), watched}
		// Port 0 refuses every connection: the shim never listens.
		e.eng.SetPreinitInitAddr("127.0.0.1:0")
	})
	t.Cleanup(release) // before the engine's Close, which waits for the start
	pythonRuntime(t, e, "lambda-runtime-python:t1", "base1")
	e.mustDeploy(t, "greet", lambda.Config{})
	e.watching(t, "greet")
	release()
	eventually(t, "the failed start logged", func() bool {
		return strings.Contains(logs.String(), "cannot start a pre-initialized instance") && strings.Contains(logs.String(), "exited before it was ready")
	})
	if n := e.preinitReady(t, "greet"); n != 0 {
		t.Errorf("PreinitReady = %d, want 0", n)
	}
	_, ids := d.started()
	eventually(t, "the dead container removed", func() bool { return !e.listed(t, ids[0]) })
}
