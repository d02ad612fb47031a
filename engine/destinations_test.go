package engine_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestDestinations: a destination must be another existing function, on
// config and on deploy, and a refused change leaves the settings as they
// were.
func TestDestinations(t *testing.T) {
	e := newEnv(t)
	e.mustDeploy(t, "work", lambda.Config{})
	e.mustDeploy(t, "dlq", lambda.Config{})
	str := func(s string) *string { return &s }
	tests := []struct {
		name      string
		patch     lambda.ScalingPatch
		code      string // "" accepted
		msg       string
		onSuccess string // after the change
		onFailure string
	}{
		{"existing function", lambda.ScalingPatch{OnFailure: str("dlq")}, "", "", "", "dlq"},
		{"both", lambda.ScalingPatch{OnSuccess: str("dlq"), OnFailure: str("dlq")}, "", "", "dlq", "dlq"},
		{"missing function", lambda.ScalingPatch{OnFailure: str("nosuch")}, lambda.ENOTFOUND,
			`on_failure function "nosuch" does not exist: deploy it first`, "dlq", "dlq"},
		{"missing on_success", lambda.ScalingPatch{OnSuccess: str("gone"), MaxRetries: new(int)}, lambda.ENOTFOUND,
			`on_success function "gone" does not exist: deploy it first`, "dlq", "dlq"},
		{"itself", lambda.ScalingPatch{OnFailure: str("work")}, lambda.EINVALID,
			`on_failure function "work" is the function itself: a function cannot be its own destination (it would loop)`, "dlq", "dlq"},
		{"bad name", lambda.ScalingPatch{OnSuccess: str("Bad_Name")}, lambda.EINVALID, `on_success: function name "Bad_Name"`, "dlq", "dlq"},
		{"remove one", lambda.ScalingPatch{OnSuccess: str("")}, "", "", "", "dlq"},
		{"remove the other", lambda.ScalingPatch{OnFailure: str("")}, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, err := e.eng.UpdateScaling(context.Background(), "work", tt.patch)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("UpdateScaling: %v", err)
				}
			} else if lambda.ErrorCode(err) != tt.code || !strings.HasPrefix(lambda.ErrorMessage(err), tt.msg) {
				t.Fatalf("UpdateScaling: %v (code %q), want %s: %s", err, lambda.ErrorCode(err), tt.code, tt.msg)
			}
			if fn, err = e.store.FindFunction(context.Background(), "work"); err != nil {
				t.Fatal(err)
			}
			if fn.Scaling.OnSuccess != tt.onSuccess || fn.Scaling.OnFailure != tt.onFailure {
				t.Errorf("stored destinations %q, %q; want %q, %q", fn.Scaling.OnSuccess, fn.Scaling.OnFailure, tt.onSuccess, tt.onFailure)
			}
			if tt.code == lambda.ENOTFOUND && fn.Scaling.MaxRetries != nil {
				t.Errorf("a refused change applied its other settings: %+v", fn.Scaling)
			}
		})
	}
}

// TestDestinationsOnDeploy: the deploy checks destinations before building
// anything, and a function deleted after it became a destination does not
// block other settings.
func TestDestinationsOnDeploy(t *testing.T) {
	e := newEnv(t)
	deploy := func(name string, sc lambda.ScalingPatch) error {
		_, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{Name: name, Code: bytes.NewReader([]byte("code")), Progress: &progress{}, Scaling: sc})
		return err
	}
	str := func(s string) *string { return &s }
	before := len(e.driver.Specs())
	if err := deploy("work", lambda.ScalingPatch{OnFailure: str("dlq")}); lambda.ErrorCode(err) != lambda.ENOTFOUND || !strings.Contains(err.Error(), `on_failure function "dlq" does not exist: deploy it first`) {
		t.Fatalf("deploy with a missing destination: %v", err)
	}
	if err := deploy("loop", lambda.ScalingPatch{OnSuccess: str("loop")}); lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), "cannot be its own destination") {
		t.Fatalf("deploy with itself as destination: %v", err)
	}
	if n := len(e.driver.Specs()); n != before {
		t.Errorf("refused deploys started %d containers", n-before)
	}
	if _, err := e.store.FindFunction(context.Background(), "work"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("a refused deploy created the function: %v", err)
	}

	e.mustDeploy(t, "dlq", lambda.Config{})
	if err := deploy("work", lambda.ScalingPatch{OnFailure: str("dlq")}); err != nil {
		t.Fatalf("deploy with an existing destination: %v", err)
	}
	fn, err := e.store.FindFunction(context.Background(), "work")
	if err != nil || fn.Scaling.OnFailure != "dlq" {
		t.Fatalf("work after deploy: %+v, %v", fn, err)
	}
	if err := e.eng.Delete(context.Background(), "dlq"); err != nil {
		t.Fatal(err)
	}
	two := 2
	if _, err := e.eng.UpdateScaling(context.Background(), "work", lambda.ScalingPatch{MaxRetries: &two}); err != nil {
		t.Errorf("a deleted destination blocks another setting: %v", err)
	}
}

// TestDestinationCycles: a destination whose own destinations lead back to
// the function is refused, on config and on deploy, through on_success
// and on_failure alike, naming the loop and how to break it; a chain that
// ends (or reaches a deleted function) is accepted.
func TestDestinationCycles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	str := func(s string) *string { return &s }
	for _, n := range []string{"a", "b", "c", "d"} {
		e.mustDeploy(t, n, lambda.Config{})
	}
	set := func(name string, p lambda.ScalingPatch) error {
		_, err := e.eng.UpdateScaling(ctx, name, p)
		return err
	}
	for _, s := range []struct {
		name string
		p    lambda.ScalingPatch
	}{{"b", lambda.ScalingPatch{OnFailure: str("c")}}, {"c", lambda.ScalingPatch{OnSuccess: str("a")}}} {
		if err := set(s.name, s.p); err != nil {
			t.Fatalf("chain b → c → a: %v", err)
		}
	}
	deploy := func(name string, sc lambda.ScalingPatch) error {
		_, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: name, Code: bytes.NewReader([]byte("code")), Progress: &progress{}, Scaling: sc})
		return err
	}
	tests := []struct {
		name string
		do   func() error
		msg  string // "": accepted
	}{
		{"two hops back", func() error { return set("a", lambda.ScalingPatch{OnFailure: str("b")}) },
			`on_failure function "b" leads back to "a": a on_failure → b on_failure → c on_success → a; records would go round without end. Break the loop: name another function, or clear c's setting with ` + "`lambda config c --on-success \"\"`"},
		{"one hop back", func() error { return set("a", lambda.ScalingPatch{OnSuccess: str("c"), MaxRetries: new(int)}) },
			`on_success function "c" leads back to "a": a on_success → c on_success → a`},
		{"on deploy", func() error { return deploy("a", lambda.ScalingPatch{OnFailure: str("c")}) },
			`on_failure function "c" leads back to "a"`},
		{"from the other end", func() error { return set("c", lambda.ScalingPatch{OnFailure: str("b")}) },
			`on_failure function "b" leads back to "c": c on_failure → b on_failure → c`},
		{"a chain that ends", func() error { return set("d", lambda.ScalingPatch{OnFailure: str("b")}) }, ""},
		{"longer chain that ends", func() error { return set("a", lambda.ScalingPatch{OnFailure: str("d")}) },
			`on_failure function "d" leads back to "a": a on_failure → d on_failure → b on_failure → c on_success → a`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if lambda.ErrorCode(err) != lambda.EINVALID || !strings.HasPrefix(lambda.ErrorMessage(err), tt.msg) {
				t.Fatalf("got %v (code %q), want invalid: %s", err, lambda.ErrorCode(err), tt.msg)
			}
		})
	}
	if fn, err := e.store.FindFunction(ctx, "a"); err != nil || fn.Scaling.OnFailure != "" || fn.Scaling.OnSuccess != "" || fn.Scaling.MaxRetries != nil {
		t.Errorf("refused changes applied to a: %+v, %v", fn.Scaling, err)
	}

	// The loop is broken: c's on_success cleared, a → b → c ends; a
	// deleted function ends a path too.
	if err := set("c", lambda.ScalingPatch{OnSuccess: str("")}); err != nil {
		t.Fatal(err)
	}
	if err := set("a", lambda.ScalingPatch{OnFailure: str("b")}); err != nil {
		t.Errorf("a → b → c after the loop was broken: %v", err)
	}
	e.mustDeploy(t, "e", lambda.Config{})
	if err := set("c", lambda.ScalingPatch{OnSuccess: str("e")}); err != nil {
		t.Fatal(err)
	}
	if err := e.eng.Delete(ctx, "e"); err != nil {
		t.Fatal(err)
	}
	if err := set("a", lambda.ScalingPatch{OnSuccess: str("b")}); err != nil {
		t.Errorf("a → b → c → e (deleted): %v", err)
	}
	if err := set("c", lambda.ScalingPatch{OnFailure: str("a")}); lambda.ErrorCode(err) != lambda.EINVALID {
		t.Errorf("c → a → b → c: %v, want invalid", err)
	}
}

// TestDestinationCyclesConcurrent: two functions set to each other at the
// same time cannot both pass the loop check.
func TestDestinationCyclesConcurrent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustDeploy(t, "x", lambda.Config{})
	e.mustDeploy(t, "y", lambda.Config{})
	none := ""
	for i := range 20 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for k, p := range [][2]string{{"x", "y"}, {"y", "x"}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dst := p[1]
				_, errs[k] = e.eng.UpdateScaling(ctx, p[0], lambda.ScalingPatch{OnFailure: &dst})
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: x → y: %v; y → x: %v; want exactly one refused", i, errs[0], errs[1])
		}
		for _, n := range []string{"x", "y"} {
			if _, err := e.eng.UpdateScaling(ctx, n, lambda.ScalingPatch{OnFailure: &none}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
