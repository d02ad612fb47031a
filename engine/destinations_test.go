package engine_test

import (
	"bytes"
	"context"
	"strings"
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
