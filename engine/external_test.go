package engine_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// fakeWatcher hands the engine the events a test sends.
type fakeWatcher struct{ events chan lambda.ExternalEvent }

func (w *fakeWatcher) WatchExternal(ctx context.Context) (<-chan lambda.ExternalEvent, error) {
	out := make(chan lambda.ExternalEvent)
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-w.events:
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

type extEnv struct {
	*env
	watcher *fakeWatcher
	log     *lockedBuffer
}

func newExtEnv(t *testing.T) *extEnv {
	t.Helper()
	w := &fakeWatcher{events: make(chan lambda.ExternalEvent)}
	log := &lockedBuffer{}
	e := newEnvWithSetup(t, drivertest.NewFake(), filepath.Join(t.TempDir(), "lambda.db"), func(e *env) {
		e.eng.External = w
		e.eng.Logger = slog.New(slog.NewTextHandler(log, nil))
	})
	return &extEnv{env: e, watcher: w, log: log}
}

// container is a running Compose replica exposing name on port.
func container(id, name, port, ip string) lambda.ExternalContainer {
	return lambda.ExternalContainer{
		ID: id, Name: "shop-" + id, IP: ip, Project: "shop", Service: "svc",
		Labels: map[string]string{lambda.LabelExpose: name, lambda.LabelExposePort: port},
	}
}

func (e *extEnv) send(ev lambda.ExternalEvent) { e.watcher.events <- ev }

// replicas waits until name has n replicas in rotation.
func (e *extEnv) replicas(t *testing.T, name string, n int) {
	t.Helper()
	eventually(t, name+" with its replicas", func() bool {
		f, err := e.eng.ExternalFunction(context.Background(), name)
		return err == nil && len(f.Replicas) == n
	})
}

func TestExternalBalancesLeastLoadedThenRoundRobin(t *testing.T) {
	e := newExtEnv(t)
	e.send(lambda.ExternalEvent{IsSync: true, Sync: []lambda.ExternalContainer{
		container("a", "adder", "8080", "10.0.0.1"),
		container("b", "adder", "8080", "10.0.0.2"),
		container("c", "adder", "8080", "10.0.0.3"),
	}})
	e.replicas(t, "adder", 3)
	ctx := context.Background()

	// Held leases: each new one goes to the least loaded replica.
	held := map[string]int{}
	var leases []*lambda.Lease
	for range 6 {
		l, err := e.eng.Acquire(ctx, "adder")
		if err != nil {
			t.Fatal(err)
		}
		if l.Timeout != lambda.ExternalTimeout || l.Function != "adder" || l.Instance == "" {
			t.Errorf("lease %+v: want the function, its replica and the external timeout", l)
		}
		held[l.Addr]++
		leases = append(leases, l)
	}
	for addr, n := range held {
		if n != 2 {
			t.Errorf("%s holds %d of 6 concurrent requests, want 2 each: %v", addr, n, held)
		}
	}
	for _, l := range leases {
		l.Release(false)
	}

	// Equals take turns.
	var order []string
	for range 6 {
		l, err := e.eng.Acquire(ctx, "adder")
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, l.Addr)
		l.Release(false)
	}
	for i := 3; i < 6; i++ {
		if order[i] != order[i-3] || order[i] == order[i-1] {
			t.Fatalf("sequential requests went to %v: want a round-robin over the three", order)
		}
	}

	// A replica that refused a connection goes last for a while.
	l, _ := e.eng.Acquire(ctx, "adder")
	bad := l.Addr
	l.Release(true)
	for range 4 {
		l, _ := e.eng.Acquire(ctx, "adder")
		if l.Addr == bad {
			t.Errorf("the replica that just failed (%s) was picked while two others were free", bad)
		}
		l.Release(false)
	}
}

func TestExternalReplicaLeavesOnItsEventAndNoneIs503(t *testing.T) {
	e := newExtEnv(t)
	e.send(lambda.ExternalEvent{IsSync: true, Sync: []lambda.ExternalContainer{
		container("a", "web", "80", "10.0.0.1"),
		container("b", "web", "80", "10.0.0.2"),
	}})
	e.replicas(t, "web", 2)
	ctx := context.Background()
	inflight, err := e.eng.Acquire(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	e.send(lambda.ExternalEvent{Down: inflight.Instance})
	e.replicas(t, "web", 1)
	for range 4 {
		l, err := e.eng.Acquire(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if l.Instance == inflight.Instance {
			t.Fatalf("request sent to replica %s after its stop event", l.Instance)
		}
		l.Release(false)
	}
	inflight.Release(false) // a request in flight on a leaving replica finishes

	// A Sync without it removes the other one too.
	e.send(lambda.ExternalEvent{IsSync: true})
	e.replicas(t, "web", 0)
	_, err = e.eng.Acquire(ctx, "web")
	if lambda.ErrorCode(err) != lambda.EUNAVAILABLE || !strings.Contains(lambda.ErrorMessage(err), "none of them runs") {
		t.Fatalf("acquire with no replica: %v, want EUNAVAILABLE saying none runs", err)
	}
	if fns, _ := e.eng.ExternalFunctions(ctx); len(fns) != 0 {
		t.Errorf("listed external functions without replicas: %+v", fns)
	}

	// It comes back with a new replica.
	c := container("c", "web", "80", "10.0.0.3")
	e.send(lambda.ExternalEvent{Up: &c})
	e.replicas(t, "web", 1)
	if l, err := e.eng.Acquire(ctx, "web"); err != nil || l.Addr != "10.0.0.3:80" {
		t.Fatalf("acquire after a replica started: %+v, %v", l, err)
	}
}

func TestExternalBadLabelsAreIgnoredWithAWarning(t *testing.T) {
	tests := []struct {
		name, port, ip, warning string
	}{
		{"bad-port", "http", "10.0.0.1", `label lambda.port=\"http\" is not a port number`},
		{"big-port", "70000", "10.0.0.1", "out of range 1-65535"},
		{"no-ip", "8080", "", "no address on a network the server reaches"},
	}
	e := newExtEnv(t)
	var sync []lambda.ExternalContainer
	for i, tt := range tests {
		sync = append(sync, container(string(rune('a'+i)), tt.name, tt.port, tt.ip))
	}
	bad := container("x", "Bad_Name", "80", "10.0.0.9")
	sync = append(sync, bad, container("ok", "fine", "80", "10.0.0.8"))
	e.send(lambda.ExternalEvent{IsSync: true, Sync: sync})
	e.replicas(t, "fine", 1)
	for _, tt := range tests {
		if !strings.Contains(e.log.String(), tt.warning) {
			t.Errorf("%s: no warning %q in the log:\n%s", tt.name, tt.warning, e.log.String())
		}
		_, err := e.eng.Acquire(context.Background(), tt.name)
		if lambda.ErrorCode(err) != lambda.ENOTFOUND {
			t.Errorf("%s: acquire = %v, want ENOTFOUND: not served", tt.name, err)
		}
	}
	if !strings.Contains(e.log.String(), "label lambda.expose: function name") {
		t.Errorf("no warning about the bad name:\n%s", e.log.String())
	}
	// Warned once, not on every event.
	e.send(lambda.ExternalEvent{IsSync: true, Sync: sync})
	e.send(lambda.ExternalEvent{IsSync: true, Sync: sync})
	e.replicas(t, "fine", 1)
	if n := strings.Count(e.log.String(), "is not a port number"); n != 1 {
		t.Errorf("the bad port was warned about %d times, want once", n)
	}
}

func TestExternalDeployedFunctionWins(t *testing.T) {
	e := newExtEnv(t)
	ctx := context.Background()
	e.mustDeploy(t, "dup", lambda.Config{})
	e.send(lambda.ExternalEvent{IsSync: true, Sync: []lambda.ExternalContainer{container("a", "dup", "80", "10.0.0.1")}})
	eventually(t, "the collision warned about", func() bool {
		return strings.Contains(e.log.String(), "a deployed function has the name its labels expose")
	})
	lease, err := e.eng.Acquire(ctx, "dup")
	if err != nil {
		t.Fatal(err)
	}
	if lease.Addr == "10.0.0.1:80" || lease.Version != 1 {
		t.Fatalf("lease %+v went to the labelled container, want the deployed version 1", lease)
	}
	lease.Release(false)
	if fns, _ := e.eng.ExternalFunctions(ctx); len(fns) != 0 {
		t.Errorf("a shadowed external function is listed: %+v", fns)
	}

	// Once the deployed function is deleted, the containers serve it.
	if err := e.eng.Delete(ctx, "dup"); err != nil {
		t.Fatal(err)
	}
	e.replicas(t, "dup", 1)
	lease, err = e.eng.Acquire(ctx, "dup")
	if err != nil || lease.Addr != "10.0.0.1:80" {
		t.Fatalf("after the delete: %+v, %v; want the labelled container", lease, err)
	}
	lease.Release(false)
}

func TestExternalDeleteRefusedAndLookup(t *testing.T) {
	e := newExtEnv(t)
	ctx := context.Background()
	e.send(lambda.ExternalEvent{IsSync: true, Sync: []lambda.ExternalContainer{container("a", "adder", "8080", "10.0.0.1")}})
	e.replicas(t, "adder", 1)
	err := e.eng.Delete(ctx, "adder")
	if lambda.ErrorCode(err) != lambda.ECONFLICT || !strings.Contains(lambda.ErrorMessage(err), "docker compose -p shop stop svc") {
		t.Fatalf("delete of an external function: %v, want ECONFLICT telling to stop it with Compose", err)
	}
	af, err := e.eng.LookupFunction(ctx, "adder")
	if err != nil || af.Name != "adder" || af.Scaling.Concurrency != lambda.DefaultHTTPConcurrency {
		t.Fatalf("lookup: %+v, %v", af, err)
	}
	fns, err := e.eng.ExternalFunctions(ctx)
	if err != nil || len(fns) != 1 || fns[0].Port != 8080 || fns[0].Projects[0] != "shop" || fns[0].Replicas[0].Addr != "10.0.0.1:8080" {
		t.Fatalf("external functions: %+v, %v", fns, err)
	}
	if !lambda.IsExternal(fns[0].AsFunction()) {
		t.Error("AsFunction is not external")
	}
}

var _ lambda.ExternalWatcher = (*fakeWatcher)(nil)
