package engine_test

import (
	"context"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestRollback(t *testing.T) {
	e := newEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"V": "1"}})
	if _, err := e.eng.Rollback(context.Background(), "greet", 0); lambda.ErrorCode(err) != lambda.ECONFLICT {
		t.Errorf("rollback with one version: %v", err)
	}
	e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"V": "2"}})
	e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"V": "3"}})

	fn, err := e.eng.Rollback(context.Background(), "greet", 0)
	if err != nil || fn.ActiveVersion != 2 || fn.Active.Config.Env["V"] != "2" {
		t.Fatalf("rollback: %+v %v", fn, err)
	}
	if lease, _ := e.call(t, "greet"); lease.Version != 2 {
		t.Errorf("version %d serves after rollback", lease.Version)
	}
	specs := e.driver.Specs()
	if last := specs[len(specs)-1]; last.Version != 2 || last.Env["V"] != "2" {
		t.Errorf("rollback started %+v", last)
	}
	if fn, err := e.eng.Rollback(context.Background(), "greet", 3); err != nil || fn.ActiveVersion != 3 {
		t.Errorf("rollback --to 3: %+v %v", fn, err)
	}
	for _, tt := range []struct {
		to   int
		code string
	}{{3, lambda.ECONFLICT}, {9, lambda.ENOTFOUND}} {
		if _, err := e.eng.Rollback(context.Background(), "greet", tt.to); lambda.ErrorCode(err) != tt.code {
			t.Errorf("rollback to %d: %v, want %s", tt.to, err, tt.code)
		}
	}
	if _, err := e.eng.Rollback(context.Background(), "nosuch", 0); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("unknown function: %v", err)
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"X": "y"}})
	e.mustDeploy(t, "other", lambda.Config{})
	if err := e.eng.Delete(context.Background(), "greet"); err != nil {
		t.Fatal(err)
	}
	if in, _ := e.eng.Instances(context.Background(), "greet"); len(in) != 0 {
		t.Errorf("instances left: %+v", in)
	}
	for _, tag := range []string{"func-greet:v1", "func-greet:v2"} {
		if _, ok := e.driver.Image(tag); ok {
			t.Errorf("image %s left", tag)
		}
	}
	if _, err := e.store.FindFunction(context.Background(), "greet"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("metadata left: %v", err)
	}
	if _, err := e.eng.Acquire(context.Background(), "greet"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("deleted function routable: %v", err)
	}
	if _, status := e.call(t, "other"); status != 200 {
		t.Error("deleting one function broke another")
	}
	if err := e.eng.Delete(context.Background(), "greet"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("second delete: %v", err)
	}
}

// TestReconcile restarts the engine over the same store and engine: the
// running instance of the active version is adopted, leftovers removed.
func TestReconcile(t *testing.T) {
	e := newEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"V": "2"}})
	e.mustDeploy(t, "gone", lambda.Config{})
	eventually(t, "version 1 drained", func() bool { return len(e.running(t, "greet")) == 1 })
	adopted := e.running(t, "greet")[0]
	// A stray container of an old version and one of a deleted function.
	if _, err := e.driver.StartInstance(context.Background(), lambda.InstanceSpec{Function: "greet", Version: 1, Image: "func-greet:v1", Port: 8080, MemoryBytes: lambda.DefaultMemoryBytes}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.DeleteFunction(context.Background(), "gone"); err != nil {
		t.Fatal(err)
	}
	if err := e.eng.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	again := newEnvWith(t, e.driver, e.db.Path)
	eventually(t, "leftovers removed", func() bool {
		all, _ := again.eng.Instances(context.Background(), "")
		return len(all) == 1
	})
	lease, status := again.call(t, "greet")
	if status != 200 || lease.Addr != adopted.Addr || lease.Cold {
		t.Errorf("not adopted: %+v (adopted %s)", lease, adopted.Addr)
	}
}
