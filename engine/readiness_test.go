package engine_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// stuckDriver is the fake engine whose instances, while stuck is set,
// never become ready: they run and print, but nothing accepts connections
// at their address, like a server that sleeps before listening or an aws
// function that never calls /next.
type stuckDriver struct {
	*drivertest.Fake
	stuck atomic.Bool
	dead  string // an address nothing listens on
}

func (d *stuckDriver) StartInstance(ctx context.Context, spec lambda.InstanceSpec) (*lambda.Instance, error) {
	in, err := d.Fake.StartInstance(ctx, spec)
	if err == nil && d.stuck.Load() {
		in.Addr = d.dead
	}
	return in, err
}

func newStuckEnv(t *testing.T) (*env, *stuckDriver) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &stuckDriver{Fake: drivertest.NewFake(), dead: ln.Addr().String()}
	ln.Close()
	e := newEnvWithSetup(t, d.Fake, t.TempDir()+"/lambda.db", func(e *env) { e.eng.Driver = d })
	return e, d
}

func deployScaling(e *env, ctx context.Context, name string, sc lambda.ScalingPatch) error {
	_, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: name, Code: bytes.NewReader(nil), Scaling: sc, Progress: &progress{}})
	return err
}

func dur(d time.Duration) *lambda.Duration {
	ld := lambda.Duration(d)
	return &ld
}

// Defect 1: a deploy whose instance never becomes ready fails at the
// function's start timeout, says what it waited for with the function's
// output, keeps the previous version serving and blocks nothing after.
func TestDeployStartTimeout(t *testing.T) {
	e, d := newStuckEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	d.stuck.Store(true)
	// Past this the engine did not bound the wait: fail, do not hang.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err := deployScaling(e, ctx, "greet", lambda.ScalingPatch{StartTimeout: dur(time.Second)})
	took := time.Since(start)
	if lambda.ErrorCode(err) != lambda.EFUNCTION || took > 3*time.Second {
		t.Fatalf("deploy of a never-ready function after %s: %v, want EFUNCTION within the 1s start timeout", took, err)
	}
	for _, want := range []string{
		"version 2 did not start, the previous version keeps serving",
		"instance did not become ready within 1s: waited for the function to listen on port 8080",
		drivertest.StartLine, // the function's output
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if lease, status := e.call(t, "greet"); status != 200 || lease.Version != 1 {
		t.Errorf("previous version does not serve: %d %+v", status, lease)
	}
	eventually(t, "stuck container removed", func() bool { return len(e.running(t, "greet")) == 1 })
	fn, err := e.store.FindFunction(context.Background(), "greet")
	if err != nil || time.Duration(fn.Scaling.StartTimeout) != 0 {
		t.Errorf("a failed deploy recorded its settings: %+v %v", fn, err)
	}

	// The lock is free: a following deploy and a delete get through.
	d.stuck.Store(false)
	if err := deployScaling(e, ctx, "greet", lambda.ScalingPatch{StartTimeout: dur(2 * time.Minute)}); err != nil {
		t.Fatalf("deploy after a stuck one: %v", err)
	}
	if fn, _ := e.store.FindFunction(context.Background(), "greet"); time.Duration(fn.Scaling.StartTimeout) != 2*time.Minute {
		t.Errorf("start timeout %s recorded, want 2m", fn.Scaling.StartTimeout)
	}
	if err := e.eng.Delete(ctx, "greet"); err != nil {
		t.Fatal(err)
	}
}

func TestRollbackStartTimeout(t *testing.T) {
	e, d := newStuckEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.mustDeploy(t, "greet", lambda.Config{})
	if _, err := e.eng.UpdateScaling(context.Background(), "greet", lambda.ScalingPatch{StartTimeout: dur(time.Second)}); err != nil {
		t.Fatal(err)
	}
	d.stuck.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := e.eng.Rollback(ctx, "greet", 1)
	if lambda.ErrorCode(err) != lambda.EFUNCTION || !strings.Contains(err.Error(), "version 1 did not start, version 2 keeps serving: instance did not become ready within 1s") {
		t.Fatalf("rollback to a never-ready version: %v", err)
	}
	d.stuck.Store(false)
	if lease, status := e.call(t, "greet"); status != 200 || lease.Version != 2 {
		t.Errorf("active version does not serve: %d %+v", status, lease)
	}
}

// A cold start on demand is bounded by the function's start timeout, and
// the queued request learns why it failed.
func TestColdStartTimeout(t *testing.T) {
	e, d := newStuckEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	if _, err := e.eng.UpdateScaling(context.Background(), "greet", lambda.ScalingPatch{StartTimeout: dur(time.Second)}); err != nil {
		t.Fatal(err)
	}
	killAll(t, e, "greet")
	d.stuck.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := e.eng.Acquire(ctx, "greet")
	if lambda.ErrorCode(err) != lambda.EFUNCTION || !strings.Contains(err.Error(), "within 1s: waited for the function to listen on port 8080") {
		t.Fatalf("cold start of a never-ready instance: %v", err)
	}
}

// A delete does not wait for a deploy stuck in its warm-up: it cancels it.
func TestDeleteCancelsDeploy(t *testing.T) {
	e, d := newStuckEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	before := len(e.driver.Specs())
	d.stuck.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- deployScaling(e, ctx, "greet", lambda.ScalingPatch{StartTimeout: dur(15 * time.Minute)})
	}()
	eventually(t, "deploy warming up", func() bool { return len(e.driver.Specs()) > before })
	if err := e.eng.Delete(ctx, "greet"); err != nil {
		t.Fatalf("delete during a stuck deploy: %v", err)
	}
	if err := <-done; lambda.ErrorCode(err) != lambda.ECONFLICT || !strings.Contains(err.Error(), `function "greet" is being deleted`) {
		t.Errorf("cancelled deploy: %v", err)
	}
	if all, _ := e.eng.Instances(context.Background(), "greet"); len(all) != 0 {
		t.Errorf("instances left: %+v", all)
	}
	if _, err := e.store.FindFunction(context.Background(), "greet"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("function left: %v", err)
	}
}

// Defect 8: a delete lets requests in flight finish, refuses new ones
// with ENOTFOUND, then removes everything.
func TestDeleteDrains(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	e.driver.SetHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		io.WriteString(w, "done")
	}))
	e.mustDeploy(t, "greet", lambda.Config{})
	lease, err := e.eng.Acquire(context.Background(), "greet")
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		defer lease.Release(false)
		resp, err := http.Get("http://" + lease.Addr + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{resp.StatusCode, string(b), err}
	}()
	deleted := make(chan error, 1)
	go func() { deleted <- e.eng.Delete(context.Background(), "greet") }()

	var aerr error
	eventually(t, "new requests refused", func() bool {
		l, err := e.eng.Acquire(context.Background(), "greet")
		if err == nil {
			l.Release(false)
		}
		aerr = err
		return err != nil
	})
	if lambda.ErrorCode(aerr) != lambda.ENOTFOUND || !strings.Contains(aerr.Error(), "deleted") {
		t.Errorf("request during delete: %v", aerr)
	}
	select {
	case err := <-deleted:
		t.Fatalf("delete returned with a request in flight: %v", err)
	case r := <-got:
		t.Fatalf("in-flight request ended before it was answered: %+v", r)
	default:
	}
	close(release)
	if r := <-got; r.err != nil || r.status != 200 || r.body != "done" {
		t.Errorf("in-flight request during delete: %+v", r)
	}
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
	if all, _ := e.eng.Instances(context.Background(), "greet"); len(all) != 0 {
		t.Errorf("instances left: %+v", all)
	}
	if _, ok := e.driver.Image("func-greet:v1"); ok {
		t.Error("image left")
	}
}

// A request that outlives the function's timeout does not hold a delete
// longer than that.
func TestDeleteDrainIsBounded(t *testing.T) {
	e := newEnv(t)
	e.driver.SetHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	e.mustDeploy(t, "greet", lambda.Config{Timeout: lambda.Duration(time.Second)})
	lease, err := e.eng.Acquire(context.Background(), "greet")
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release(false) // never released before the delete ends
	start := time.Now()
	if err := e.eng.Delete(context.Background(), "greet"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < time.Second || took > 5*time.Second {
		t.Errorf("delete with a stuck request took %s, want the 1s timeout plus a little", took)
	}
}
