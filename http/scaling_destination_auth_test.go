package http

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestDestinationNeedsKeyCoveringIt: setting a destination, by config or
// by deploy, needs a key that covers the destination function too; a key
// limited to the function alone is refused (403, saying which key to use)
// before anything changes, clearing one needs nothing more, and keys for
// every function pass.
func TestDestinationNeedsKeyCoveringIt(t *testing.T) {
	a := newAuthServer()
	fs := &fakeScaling{fn: lambda.Function{Name: "work", ActiveVersion: 1}}
	d := &fakeDeployer{}
	a.Scaling, a.Functions = fs, d
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	str := func(s string) *string { return &s }

	_, onlyWork := a.newKey(t, lambda.ScopeDeploy, "work")
	_, both := a.newKey(t, lambda.ScopeDeploy, "work", "private")
	_, deployAll := a.newKey(t, lambda.ScopeDeploy)
	_, admin := a.newKey(t, lambda.ScopeAdmin)
	tests := []struct {
		name   string
		key    string
		patch  lambda.ScalingPatch
		denied string // the destination refused, "" for none
	}{
		{"on_failure outside the key", onlyWork, lambda.ScalingPatch{OnFailure: str("private")}, "on_failure"},
		{"on_success outside the key", onlyWork, lambda.ScalingPatch{OnSuccess: str("private"), MaxRetries: new(int)}, "on_success"},
		{"key covering both", both, lambda.ScalingPatch{OnFailure: str("private")}, ""},
		{"deploy key for every function", deployAll, lambda.ScalingPatch{OnSuccess: str("private")}, ""},
		{"admin key", admin, lambda.ScalingPatch{OnSuccess: str("other")}, ""},
		{"clearing", onlyWork, lambda.ScalingPatch{OnSuccess: str(""), OnFailure: str("")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClient(srv.URL)
			c.APIKey = tt.key
			calls := fs.calls
			_, err := c.UpdateScaling(ctx, "work", tt.patch)
			d.mu.Lock()
			d.req = lambda.DeployRequest{}
			d.mu.Unlock()
			_, derr := c.DeployImage(ctx, "work", DeployRequest{Scaling: tt.patch}, "example/app:v1", nil)
			if tt.denied == "" {
				if err != nil || derr != nil {
					t.Fatalf("config: %v; deploy: %v", err, derr)
				}
				return
			}
			want := tt.denied + ` function "private": key `
			for what, err := range map[string]error{"config": err, "deploy": derr} {
				if lambda.ErrorCode(err) != lambda.EFORBIDDEN || !strings.HasPrefix(lambda.ErrorMessage(err), want) ||
					!strings.Contains(err.Error(), "lambda keys create NAME --scope deploy --function work --function private") {
					t.Errorf("%s: %v (code %q), want forbidden: %s…", what, err, lambda.ErrorCode(err), want)
				}
			}
			if req, _ := d.last(); fs.calls != calls || req.Name != "" {
				t.Errorf("a refused change reached the services: %d scaling calls, deploy of %q", fs.calls-calls, req.Name)
			}
		})
	}
}
