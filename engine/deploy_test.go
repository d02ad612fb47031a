package engine_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestDeploy(t *testing.T) {
	e := newEnv(t)
	p := &progress{}
	fn, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{
		Name: "greet", Config: lambda.Config{Env: map[string]string{"K": "v"}}, Code: bytes.NewReader(nil), Progress: p,
	})
	if err != nil {
		t.Fatal(err)
	}
	if fn.ActiveVersion != 1 || fn.Active.Image != "func-greet:v1" || fn.Active.CodeSHA256 != "c0de" || fn.Active.Config.Runtime != lambda.RuntimeGo {
		t.Errorf("deployed %+v / %+v", fn, fn.Active)
	}
	// The server numbers every step, the upload's unpacking first.
	if len(p.steps) != 3 || p.steps[0] != "Unpacking function code" || p.steps[1] != `Building image "func-greet"` || p.steps[2] != "Starting container" {
		t.Errorf("steps %q", p.steps)
	}
	img, ok := e.driver.Image("func-greet:v1")
	if !ok || img.Labels[lambda.LabelFunction] != "greet" || img.Labels[lambda.LabelVersion] != "1" {
		t.Errorf("image %+v", img)
	}
	specs := e.driver.Specs()
	if len(specs) != 1 || specs[0].Env["K"] != "v" || specs[0].Env["LAMBDA_FUNCTION_NAME"] != "greet" || specs[0].MemoryBytes != lambda.DefaultMemoryBytes || specs[0].Port != lambda.DefaultPort {
		t.Errorf("specs %+v", specs)
	}
	// The instance warmed by the deploy serves the first request.
	lease, status := e.call(t, "greet")
	if status != 200 || lease.Cold || lease.Version != 1 || lease.Timeout != lambda.DefaultTimeout {
		t.Errorf("lease %+v status %d", lease, status)
	}
	if n := len(e.driver.Specs()); n != 1 {
		t.Errorf("%d instances started, want 1", n)
	}
}

func TestDeployFailuresLeaveNothing(t *testing.T) {
	e := newEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})

	tests := []struct {
		name  string
		setup func()
		req   lambda.DeployRequest
		code  string
	}{
		{"bad name", nil, lambda.DeployRequest{Name: "Bad"}, lambda.EINVALID},
		{"bad config", nil, lambda.DeployRequest{Name: "greet", Config: lambda.Config{Port: 70000}}, lambda.EINVALID},
		{"compile error", func() { e.builder.fail = lambda.Errorf(lambda.EINVALID, "go build failed") }, lambda.DeployRequest{Name: "greet"}, lambda.EINVALID},
		{"build error", func() { e.builder.dockerfile = "FROM scratch\nCOPY missing /x\n" }, lambda.DeployRequest{Name: "greet"}, lambda.EINVALID},
		{"docker down", func() { e.driver.SetDown(true) }, lambda.DeployRequest{Name: "greet"}, lambda.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.builder.fail, e.builder.dockerfile = nil, ""
			e.driver.SetDown(false)
			if tt.setup != nil {
				tt.setup()
			}
			tt.req.Code = bytes.NewReader(nil)
			_, err := e.eng.Deploy(context.Background(), tt.req)
			if lambda.ErrorCode(err) != tt.code {
				t.Fatalf("err %v, want code %s", err, tt.code)
			}
			e.driver.SetDown(false)
			fn, err := e.store.FindFunction(context.Background(), "greet")
			if err != nil || fn.ActiveVersion != 1 {
				t.Errorf("function after failed deploy: %+v %v", fn, err)
			}
			if lease, status := e.call(t, "greet"); status != 200 || lease.Version != 1 {
				t.Errorf("previous version does not serve: %d", status)
			}
			if _, ok := e.driver.Image("func-greet:v2"); ok {
				t.Error("failed deploy left an image")
			}
		})
	}
}

func TestRedeploySwitchesAndDrains(t *testing.T) {
	e := newEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	old, err := e.eng.Acquire(context.Background(), "greet")
	if err != nil {
		t.Fatal(err)
	}
	e.mustDeploy(t, "greet", lambda.Config{})
	lease, _ := e.call(t, "greet")
	if lease.Version != 2 {
		t.Errorf("after redeploy version %d serves", lease.Version)
	}
	// The old instance keeps running while a request holds it...
	if n := len(e.running(t, "greet")); n != 2 {
		t.Errorf("%d instances while the old one drains, want 2", n)
	}
	states := map[int]string{}
	all, _ := e.eng.Instances(context.Background(), "greet")
	for _, in := range all {
		states[in.Version] = in.State
	}
	if states[1] != lambda.InstanceDraining || states[2] != lambda.InstanceIdle {
		t.Errorf("instance states by version %v, want 1 draining and 2 idle", states)
	}
	// ...and is stopped once it finishes.
	old.Release(false)
	eventually(t, "old instance stopped", func() bool { return len(e.running(t, "greet")) == 1 })
}

func TestColdStartsAreShared(t *testing.T) {
	tests := []struct {
		name        string
		concurrency int
		max         int
		requests    int
		hold        bool // keep every lease until all requests got one
		minStarts   int
		maxStarts   int
	}{
		{"one instance serves all", 20, 10, 20, true, 1, 1},
		{"one start per instance of demand", 5, 10, 20, true, 4, 4},
		// Releases let later requests reuse slots, so fewer may start.
		{"bounded by max instances", 1, 3, 10, false, 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.mustDeploy(t, "greet", lambda.Config{})
			c, m, zero := tt.concurrency, tt.max, 0
			if _, err := e.eng.UpdateScaling(context.Background(), "greet", lambda.ScalingPatch{Concurrency: &c, MaxInstances: &m, MinInstances: &zero}); err != nil {
				t.Fatal(err)
			}
			killAll(t, e, "greet")
			before := len(e.driver.Specs())
			var wg sync.WaitGroup
			var mu sync.Mutex
			var leases []*lambda.Lease
			for range tt.requests {
				wg.Add(1)
				go func() {
					defer wg.Done()
					lease, err := e.eng.Acquire(context.Background(), "greet")
					if err != nil {
						t.Error(err)
						return
					}
					if !tt.hold {
						lease.Release(false)
						return
					}
					mu.Lock()
					leases = append(leases, lease)
					mu.Unlock()
				}()
			}
			wg.Wait()
			for _, l := range leases {
				l.Release(false)
			}
			if started := len(e.driver.Specs()) - before; started < tt.minStarts || started > tt.maxStarts {
				t.Errorf("%d concurrent requests started %d instances, want %d-%d", tt.requests, started, tt.minStarts, tt.maxStarts)
			}
		})
	}
}

// killAll crashes every instance of name and waits until the engine noticed.
func killAll(t *testing.T, e *env, name string) {
	t.Helper()
	var killed []string
	for _, in := range e.running(t, name) {
		if err := e.driver.Kill(in.ID); err != nil {
			t.Fatal(err)
		}
		killed = append(killed, in.ID)
	}
	eventually(t, "dead instances dropped", func() bool {
		all, _ := e.eng.Instances(context.Background(), name)
		for _, in := range all {
			if in.State != lambda.InstanceStopped {
				return false
			}
		}
		return true
	})
	// The container is gone; the engine learns it from the exit event,
	// which may still be on its way: wait until it stopped routing to them.
	eventually(t, "the exits processed", func() bool {
		for _, id := range killed {
			if e.eng.Live(id) {
				return false
			}
		}
		return true
	})
}

func TestFailedRequestReplacesInstance(t *testing.T) {
	e := newEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	lease, err := e.eng.Acquire(context.Background(), "greet")
	if err != nil {
		t.Fatal(err)
	}
	lease.Release(true)
	next, _ := e.call(t, "greet")
	if next.Addr == lease.Addr || !next.Cold {
		t.Errorf("a failed instance served again: %+v", next)
	}
	eventually(t, "failed instance stopped", func() bool { return len(e.running(t, "greet")) == 1 })
}

func TestAcquireErrors(t *testing.T) {
	e := newEnv(t)
	if _, err := e.eng.Acquire(context.Background(), "nosuch"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("unknown function: %v", err)
	}
	e.mustDeploy(t, "greet", lambda.Config{})
	for _, in := range e.running(t, "greet") {
		_ = e.driver.Kill(in.ID)
	}
	eventually(t, "dead instance dropped", func() bool { return len(e.running(t, "greet")) == 0 })
	e.driver.SetDown(true)
	// Until the exit event arrives the dead instance may still be leased.
	var err error
	eventually(t, "cold start attempted", func() bool {
		var lease *lambda.Lease
		lease, err = e.eng.Acquire(context.Background(), "greet")
		if err == nil {
			lease.Release(false)
		}
		return err != nil
	})
	if lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
		t.Errorf("docker down: %v", err)
	}
	e.driver.SetDown(false)
	if _, status := e.call(t, "greet"); status != 200 {
		t.Errorf("after docker came back: %d", status)
	}
}
