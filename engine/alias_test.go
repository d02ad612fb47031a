package engine_test

import (
	"io"

	"context"
	"github.com/lambdahq/lambda/engine"
	"math"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// served acquires name n times with qualifier q and counts the versions
// that served.
func served(t *testing.T, e *env, name, q string, n int) map[int]int {
	t.Helper()
	ctx := lambda.WithQualifier(context.Background(), q)
	out := map[int]int{}
	for range n {
		lease, err := e.eng.Acquire(ctx, name)
		if err != nil {
			t.Fatalf("acquire %s with qualifier %q: %v", name, q, err)
		}
		out[lease.Version]++
		lease.Release(false)
	}
	return out
}

func TestAliasRouting(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	if _, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: "greet", Code: strings.NewReader("code"), Force: true}); err != nil {
		t.Fatal(err)
	}
	// live: 2, with 30% to 1.
	if _, err := e.eng.SetAlias(ctx, &lambda.Alias{Function: "greet", Name: "live", Version: 2, AdditionalVersion: 1, Weight: 0.3}); err != nil {
		t.Fatal(err)
	}
	const n = 600
	got := served(t, e, "greet", "", n)
	if sigma := math.Sqrt(n * 0.3 * 0.7); math.Abs(float64(got[1])-n*0.3) > 5*sigma || got[1]+got[2] != n {
		t.Fatalf("live with 30%% to version 1 served %v", got)
	}
	if got := served(t, e, "greet", "1", 20); got[1] != 20 {
		t.Fatalf("qualifier 1 served %v", got)
	}
	if got := served(t, e, "greet", "$LATEST", 200); got[1] == 0 || got[2] == 0 {
		t.Fatalf("$LATEST (live) served %v, want both versions", got)
	}
	if _, err := e.eng.SetAlias(ctx, &lambda.Alias{Function: "greet", Name: "stable", Version: 1}); err != nil {
		t.Fatal(err)
	}
	if got := served(t, e, "greet", "stable", 20); got[1] != 20 {
		t.Fatalf("alias stable served %v", got)
	}
	// Promote: all of live to version 1, the split gone; stable still 1.
	fn, err := e.eng.Promote(ctx, "greet")
	if err != nil || fn.ActiveVersion != 1 {
		t.Fatalf("Promote = %+v, %v", fn, err)
	}
	if got := served(t, e, "greet", "", 50); got[1] != 50 {
		t.Fatalf("live after promote served %v", got)
	}
	if _, err := e.eng.Promote(ctx, "greet"); lambda.ErrorCode(err) != lambda.ECONFLICT {
		t.Fatalf("second Promote: %v, want ECONFLICT", err)
	}
	if err := e.eng.DeleteAlias(ctx, "greet", "stable"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ q, code, msg string }{
		{"stable", lambda.ENOTFOUND, `no alias "stable"`},
		{"liev", lambda.ENOTFOUND, `did you mean "live"`},
		{"7", lambda.ENOTFOUND, "no version 7"},
		{"0", lambda.EINVALID, "not a version number"},
		{"Bad", lambda.EINVALID, "qualifier"},
	} {
		_, err := e.eng.Acquire(lambda.WithQualifier(ctx, tt.q), "greet")
		if lambda.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("qualifier %q: %v, want %s with %q", tt.q, err, tt.code, tt.msg)
		}
	}
	if _, err := e.eng.SetAlias(ctx, &lambda.Alias{Function: "greet", Name: "beta", Version: 9}); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("alias to a missing version: %v", err)
	}
	if err := e.eng.DeleteAlias(ctx, "greet", "live"); lambda.ErrorCode(err) != lambda.ECONFLICT {
		t.Errorf("deleting live: %v", err)
	}
}

// TestAliasSplitSurvivesRestart: a new engine on the same store routes the
// split as the old one did.
func TestAliasSplitSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	if _, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: "greet", Code: strings.NewReader("code"), Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.SetAlias(ctx, &lambda.Alias{Function: "greet", Name: "live", Version: 2, AdditionalVersion: 1, Weight: 0.5}); err != nil {
		t.Fatal(err)
	}
	e2 := newEnvWithStore(t, e)
	if got := served(t, e2, "greet", "", 100); got[1] == 0 || got[2] == 0 {
		t.Fatalf("after a restart live served %v, want both versions", got)
	}
}

// newEnvWithStore is a second engine on e's store and driver, as a
// restarted server's.
func newEnvWithStore(t *testing.T, e *env) *env {
	t.Helper()
	e2 := &env{driver: e.driver, builder: e.builder, store: e.store, db: e.db}
	e2.eng = engine.New(e.store, e.driver, e.builder, func(r io.Reader, dest string) (string, error) {
		_, err := io.Copy(io.Discard, r)
		return "c0de", err
	})
	e2.eng.StopGrace = 0
	if err := e2.eng.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e2.eng.Close(context.Background()) })
	return e2
}

// TestCanaryDeploy: --canary publishes the new version beside live's,
// with its share; promote moves all of live to it; a rollback of a
// canary clears the split and keeps live's version.
func TestCanaryDeploy(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: "greet", Code: strings.NewReader("code"), Canary: 0.2}); lambda.ErrorCode(err) != lambda.ECONFLICT {
		t.Fatalf("a canary of a new function: %v, want ECONFLICT", err)
	}
	e.mustDeploy(t, "greet", lambda.Config{})
	canary := func() {
		t.Helper()
		d, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: "greet", Code: strings.NewReader("code"), Force: true, Canary: 0.2})
		if err != nil {
			t.Fatal(err)
		}
		if d.ActiveVersion != 1 {
			t.Fatalf("a canary deploy made version %d active", d.ActiveVersion)
		}
	}
	canary()
	live, err := e.eng.GetAlias(ctx, "greet", "live")
	if err != nil || live.Version != 1 || live.AdditionalVersion != 2 || live.Weight != 0.2 {
		t.Fatalf("live after --canary: %+v, %v", live, err)
	}
	const n = 500
	got := served(t, e, "greet", "", n)
	if sigma := math.Sqrt(n * 0.2 * 0.8); math.Abs(float64(got[2])-n*0.2) > 5*sigma {
		t.Fatalf("live with a 20%% canary served %v", got)
	}
	// Rollback: the canary goes, version 1 stays.
	fn, err := e.eng.Rollback(ctx, "greet", 0)
	if err != nil || fn.ActiveVersion != 1 {
		t.Fatalf("Rollback = %+v, %v", fn, err)
	}
	if got := served(t, e, "greet", "", 50); got[1] != 50 {
		t.Fatalf("after rolling the canary back live served %v", got)
	}
	eventually(t, "the canary's instances stop", func() bool {
		for _, in := range e.running(t, "greet") {
			if in.Version == 2 {
				return false
			}
		}
		return true
	})
	canary() // version 3
	fn, err = e.eng.Promote(ctx, "greet")
	if err != nil || fn.ActiveVersion != 3 {
		t.Fatalf("Promote = %+v, %v", fn, err)
	}
	if got := served(t, e, "greet", "", 50); got[3] != 50 {
		t.Fatalf("after promote live served %v", got)
	}
}

// TestReconcileAdoptsCanary: a restarted server re-adopts the instances of
// both versions of live's split, as it does the active one's: no cold
// start for the canary.
func TestReconcileAdoptsCanary(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	if _, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: "greet", Code: strings.NewReader("code"), Force: true, Canary: 0.5}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.running(t, "greet")); n != 2 {
		t.Fatalf("%d instances after a canary deploy, want one of each version", n)
	}
	if err := e.eng.Close(ctx); err != nil {
		t.Fatal(err)
	}
	starts := len(e.driver.Specs())
	again := newEnvWith(t, e.driver, e.db.Path)
	eventually(t, "both instances adopted", func() bool {
		all, _ := again.eng.Instances(ctx, "greet")
		n := 0
		for _, in := range all {
			if in.State == lambda.InstanceIdle {
				n++
			}
		}
		return n == 2
	})
	got := served(t, again, "greet", "", 100)
	if got[1] == 0 || got[2] == 0 {
		t.Fatalf("after a restart live served %v", got)
	}
	if n := len(e.driver.Specs()); n != starts {
		t.Errorf("%d instances started after the restart, want none: both versions' were adopted", n-starts)
	}
}
