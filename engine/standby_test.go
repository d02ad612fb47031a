package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// newStandbyEnv is a fake-clock env whose host allows budget bytes of
// paused instances.
func newStandbyEnv(t *testing.T, budget int64) (*env, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	e := newEnvWithSetup(t, drivertest.NewFake(), filepath.Join(t.TempDir(), "lambda.db"), func(e *env) {
		e.eng.Clock = clock
		e.eng.StandbyMemory = budget
	})
	clock.BlockUntil(t, 1)
	return e, clock
}

// states maps name's instances (running containers) to their state.
func (e *env) states(t *testing.T, name string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, in := range e.running(t, name) {
		out[in.ID] = in.State
	}
	return out
}

// frozen reports whether the driver has container id paused.
func (e *env) frozen(t *testing.T, id string) bool {
	t.Helper()
	list, err := e.driver.ListInstances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range list {
		if in.ID == id {
			return in.Paused
		}
	}
	return false
}

// serve acquires name and sends one request with a bound (a frozen
// instance would leave it waiting), returning the lease.
func (e *env) serve(t *testing.T, name string) *lambda.Lease {
	t.Helper()
	lease, err := e.eng.Acquire(context.Background(), name)
	if err != nil {
		t.Fatalf("acquire %s: %v", name, err)
	}
	defer lease.Release(false)
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + lease.Addr + "/")
	if err != nil {
		t.Fatalf("request to %s (instance %s): %v", name, lease.Instance, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("request to %s: status %d", name, resp.StatusCode)
	}
	return lease
}

// only returns the single instance of name, failing otherwise.
func only(t *testing.T, states map[string]string) (string, string) {
	t.Helper()
	if len(states) != 1 {
		t.Fatalf("instances %v, want exactly one", states)
	}
	for id, st := range states {
		return id, st
	}
	return "", ""
}

// TestStandbyPauseResumeStop: an instance idle past its idle timeout is
// paused (not stopped), a request resumes it (no cold start, the same
// container), and once paused for its standby timeout it stops.
func TestStandbyPauseResumeStop(t *testing.T) {
	e, clock := newStandbyEnv(t, 1<<30)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.scale(t, "greet", lambda.ScalingPatch{IdleTimeout: ptr(lambda.Duration(time.Minute)), StandbyTimeout: ptr(lambda.Duration(10 * time.Minute))})
	id, st := only(t, e.states(t, "greet"))
	if st != lambda.InstanceIdle {
		t.Fatalf("after the deploy: %s, want idle", st)
	}

	clock.Advance(2 * time.Minute)
	e.eng.ReapNow()
	if _, st := only(t, e.states(t, "greet")); st != lambda.InstancePaused {
		t.Fatalf("idle past the idle timeout: %s, want paused", st)
	}
	eventually(t, "the container paused", func() bool { return e.frozen(t, id) })

	lease := e.serve(t, "greet")
	if lease.Cold || lease.Instance != id {
		t.Errorf("the request after the pause: cold %v on %s, want the paused instance %s resumed", lease.Cold, lease.Instance, id)
	}
	if e.frozen(t, id) {
		t.Error("the container is still paused after serving")
	}
	if _, st := only(t, e.states(t, "greet")); st != lambda.InstanceIdle {
		t.Errorf("after the request: %s, want idle", st)
	}

	// Paused again, then stopped once the standby timeout has passed.
	clock.Advance(2 * time.Minute)
	e.eng.ReapNow()
	eventually(t, "paused again", func() bool { return e.frozen(t, id) })
	clock.Advance(9 * time.Minute)
	e.eng.ReapNow()
	if _, st := only(t, e.states(t, "greet")); st != lambda.InstancePaused {
		t.Fatalf("paused for 9 of 10 minutes: %s, want still paused", st)
	}
	clock.Advance(2 * time.Minute)
	e.eng.ReapNow()
	eventually(t, "stopped after the standby timeout", func() bool { return len(e.running(t, "greet")) == 0 })
	if lease := e.serve(t, "greet"); !lease.Cold {
		t.Error("the request after the standby timeout was not a cold start")
	}
}

// TestStandbyDisabled: a standby timeout of 0, or a host without a standby
// budget, stops idle instances at their idle timeout as before.
func TestStandbyDisabled(t *testing.T) {
	tests := []struct {
		name    string
		budget  int64
		standby *lambda.Duration
	}{
		{"standby timeout 0", 1 << 30, ptr(lambda.Duration(0))},
		{"no host budget", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, clock := newStandbyEnv(t, tt.budget)
			e.mustDeploy(t, "greet", lambda.Config{})
			e.scale(t, "greet", lambda.ScalingPatch{IdleTimeout: ptr(lambda.Duration(time.Minute)), StandbyTimeout: tt.standby})
			clock.Advance(2 * time.Minute)
			e.eng.ReapNow()
			if n := len(e.held(t, "greet")); n != 0 {
				t.Errorf("%d instances held after the idle timeout (states %v), want 0: stopped, not paused", n, e.states(t, "greet"))
			}
		})
	}
}

// TestStandbyKeepsMinimumInService: the minimum stays in service (never
// paused); only instances above it are paused, and raising the minimum
// resumes a paused instance rather than starting one.
func TestStandbyKeepsMinimumInService(t *testing.T) {
	e, clock := newStandbyEnv(t, 1<<30)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.scale(t, "greet", lambda.ScalingPatch{MinInstances: ptr(2), IdleTimeout: ptr(lambda.Duration(time.Minute))})
	eventually(t, "the minimum of 2", func() bool {
		clock.Advance(e.eng.ReapInterval)
		return len(e.held(t, "greet")) == 2
	})
	e.scale(t, "greet", lambda.ScalingPatch{MinInstances: ptr(1)})
	clock.Advance(2 * time.Minute)
	e.eng.ReapNow()
	count := func() map[string]int {
		n := map[string]int{}
		for _, st := range e.states(t, "greet") {
			n[st]++
		}
		return n
	}
	if n := count(); n[lambda.InstanceIdle] != 1 || n[lambda.InstancePaused] != 1 {
		t.Fatalf("states %v, want one idle (the minimum) and one paused", n)
	}
	e.scale(t, "greet", lambda.ScalingPatch{MinInstances: ptr(2)})
	e.eng.ReapNow()
	if n := count(); n[lambda.InstanceIdle] != 2 || len(e.running(t, "greet")) != 2 {
		t.Fatalf("states %v after raising the minimum to 2, want the paused one resumed: 2 idle, no new container", n)
	}
}

// TestStandbyBudgetEvictsLeastRecentlyUsed: with room for one paused
// instance, a second one paused stops the least recently used.
func TestStandbyBudgetEvictsLeastRecentlyUsed(t *testing.T) {
	e, clock := newStandbyEnv(t, 200<<20)
	idle := lambda.ScalingPatch{IdleTimeout: ptr(lambda.Duration(time.Minute))}
	for _, name := range []string{"older", "newer"} {
		e.mustDeploy(t, name, lambda.Config{MemoryBytes: 128 << 20})
		e.scale(t, name, idle)
	}
	e.serve(t, "older")
	clock.Advance(30 * time.Second)
	e.serve(t, "newer") // used last
	olderID, _ := only(t, e.states(t, "older"))

	clock.Advance(75 * time.Second) // both past their idle timeout
	e.eng.ReapNow()
	if got := e.states(t, "older"); len(got) != 0 && got[olderID] != lambda.InstanceDraining {
		t.Errorf("older: %v, want its instance stopped (least recently used, over the budget)", got)
	}
	if _, st := only(t, e.states(t, "newer")); st != lambda.InstancePaused {
		t.Errorf("newer: %s, want paused", st)
	}
	eventually(t, "the evicted container gone", func() bool { return len(e.running(t, "older")) == 0 })
	if lease := e.serve(t, "older"); !lease.Cold {
		t.Error("the evicted function's next request was not a cold start")
	}
	if lease := e.serve(t, "newer"); lease.Cold {
		t.Error("the paused function's next request was a cold start")
	}

	// An instance bigger than the whole budget is never kept paused.
	e.mustDeploy(t, "big", lambda.Config{MemoryBytes: 512 << 20})
	e.scale(t, "big", idle)
	clock.Advance(2 * time.Minute)
	e.eng.ReapNow()
	if got := e.held(t, "big"); len(got) != 0 {
		t.Errorf("big: %d instances held, want none (its memory exceeds the budget)", len(got))
	}
}

// TestStandbyQueueResumes: requests that find only a paused instance, one
// slot each, resume it and queue for it rather than start instances.
func TestStandbyQueueResumes(t *testing.T) {
	e, clock := newStandbyEnv(t, 1<<30)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.scale(t, "greet", lambda.ScalingPatch{Concurrency: ptr(1), MaxInstances: ptr(1), IdleTimeout: ptr(lambda.Duration(time.Minute))})
	id, _ := only(t, e.states(t, "greet"))
	clock.Advance(2 * time.Minute)
	e.eng.ReapNow()
	eventually(t, "paused", func() bool { return e.frozen(t, id) })

	first, err := e.eng.Acquire(context.Background(), "greet")
	if err != nil || first.Instance != id {
		t.Fatalf("first request: %v on %v, want the paused instance", err, first)
	}
	got := make(chan error, 1)
	go func() {
		l, err := e.eng.Acquire(context.Background(), "greet")
		if err == nil {
			if l.Instance != id {
				err = fmt.Errorf("second request served by %s, want %s", l.Instance, id)
			}
			l.Release(false)
		}
		got <- err
	}()
	eventually(t, "the second request queued", func() bool { return e.eng.Queued("greet") == 1 })
	first.Release(false)
	if err := recvErr(t, got); err != nil {
		t.Fatal(err)
	}
}

// TestStandbyCloseStopsPaused: a server that shuts down leaves no paused
// container behind.
func TestStandbyCloseStopsPaused(t *testing.T) {
	e, clock := newStandbyEnv(t, 1<<30)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.scale(t, "greet", lambda.ScalingPatch{IdleTimeout: ptr(lambda.Duration(time.Minute))})
	id, _ := only(t, e.states(t, "greet"))
	clock.Advance(2 * time.Minute)
	e.eng.ReapNow()
	eventually(t, "paused", func() bool { return e.frozen(t, id) })
	if err := e.eng.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	list, err := e.driver.ListInstances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range list {
		if in.ID == id && in.Running {
			t.Errorf("after Close the paused instance is still there: %+v", in)
		}
	}
}

// TestStandbyReconcileAdoptsPaused: a container a killed server left
// paused is unpaused and adopted by the next one, and serves.
func TestStandbyReconcileAdoptsPaused(t *testing.T) {
	driver := drivertest.NewFake()
	path := filepath.Join(t.TempDir(), "lambda.db")
	first := newEnvWith(t, driver, path)
	first.mustDeploy(t, "greet", lambda.Config{})
	id, _ := only(t, first.states(t, "greet"))
	if err := driver.PauseInstance(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	// The first server "dies": its engine is not closed (Close would stop
	// the paused instances it knows of; this one it paused behind its back).
	second := newEnvWith(t, driver, path)
	eventually(t, "the paused container adopted", func() bool {
		st := second.states(t, "greet")
		return st[id] == lambda.InstanceIdle
	})
	if second.frozen(t, id) {
		t.Error("the adopted container is still paused")
	}
	if lease := second.serve(t, "greet"); lease.Instance != id || lease.Cold {
		t.Errorf("served by %s (cold %v), want the adopted %s", lease.Instance, lease.Cold, id)
	}
}

// failingPauses fails the first fail pauses, as the cgroup v1 freezer
// does on a busy host ("unable to freeze"), and counts the attempts.
type failingPauses struct {
	*drivertest.Fake
	fail     int64
	attempts atomic.Int64
}

func (d *failingPauses) PauseInstance(ctx context.Context, id string) error {
	if d.attempts.Add(1) <= d.fail {
		return errors.New("OCI runtime pause failed: unable to freeze")
	}
	return d.Fake.PauseInstance(ctx, id)
}

// TestStandbyPauseFailure: a failed pause puts the instance back into
// service and the next reaper pass tries again; after three failures in a
// row the instance is stopped instead.
func TestStandbyPauseFailure(t *testing.T) {
	tests := []struct {
		fail       int64
		wantPaused bool
	}{
		{fail: 2, wantPaused: true},
		{fail: 3, wantPaused: false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d failures", tt.fail), func(t *testing.T) {
			d := &failingPauses{Fake: drivertest.NewFake(), fail: tt.fail}
			e, id := idleGreet(t, d.Fake, d)
			// Each pass retries a pause that failed (the reaper's own loop
			// may run passes too).
			if !tt.wantPaused {
				eventually(t, "stopped after 3 failed pauses", func() bool {
					e.eng.ReapNow()
					return len(e.running(t, "greet")) == 0
				})
				if n := d.attempts.Load(); n != 3 {
					t.Errorf("%d pauses attempted, want 3 then a stop", n)
				}
				return
			}
			eventually(t, "paused on a later pass", func() bool {
				e.eng.ReapNow()
				return e.frozen(t, id)
			})
			if n := d.attempts.Load(); n != 3 {
				t.Errorf("%d pauses attempted, want 2 failed and 1 that worked", n)
			}
			if lease := e.serve(t, "greet"); lease.Cold || lease.Instance != id {
				t.Errorf("served by %s (cold %v), want %s resumed", lease.Instance, lease.Cold, id)
			}
		})
	}
}

// TestStandbyBudgetConcurrentPasses: reaper passes that run at once (the
// timer's and another) stop only what the budget needs. Each once weighed
// the budget and then took the least recently used paused instance, so a
// second pass stopped one that the first had already made fit.
func TestStandbyBudgetConcurrentPasses(t *testing.T) {
	names := []string{"a", "b", "c"}
	for round := range 15 {
		e, clock := newStandbyEnv(t, 300<<20) // room for two of the three
		idle := lambda.ScalingPatch{IdleTimeout: ptr(lambda.Duration(time.Minute))}
		for _, name := range names {
			e.mustDeploy(t, name, lambda.Config{MemoryBytes: 128 << 20})
			e.scale(t, name, idle)
		}
		for _, name := range names {
			e.serve(t, name)
			clock.Advance(10 * time.Second)
		}
		clock.Advance(2 * time.Minute)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() { defer wg.Done(); <-start; e.eng.ReapNow() }()
		}
		close(start)
		wg.Wait()
		paused := 0
		for _, name := range names {
			for _, st := range e.states(t, name) {
				if st == lambda.InstancePaused {
					paused++
				}
			}
		}
		if paused != 2 {
			t.Fatalf("round %d: %d paused after concurrent passes, want 2 (only the least recently used stopped)", round, paused)
		}
	}
}
