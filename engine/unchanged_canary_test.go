package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestCanaryDeployUnchanged: a canary deploy of the code and config of
// live's canary publishes nothing and only moves its weight and applies the
// scaling; one of the active version's is a no-op without a canary and
// refused with one; --force publishes. Before, each repeated
// "deploy --canary" published and warmed a copy of the canary.
func TestCanaryDeployUnchanged(t *testing.T) {
	e, builds := newResolvingEnv(t, nil)
	ctx := context.Background()
	env := func(v string) lambda.Config { return lambda.Config{Env: map[string]string{"K": v}} }
	if _, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: "greet", Config: env("a"), Code: strings.NewReader("v1"), Progress: &progress{}}); err != nil {
		t.Fatal(err)
	}
	rollback := func() {
		if _, err := e.eng.Rollback(ctx, "greet", 0); err != nil {
			t.Fatal(err)
		}
	}

	// Each step deploys over the state the previous ones left; live is
	// version 1 with code v1 and env a until the end.
	tests := []struct {
		name        string
		code        string
		cfg         lambda.Config
		weight      float64
		mod         func(*lambda.DeployRequest)
		setup       func()
		wantErr     string
		wantChanged bool
		wantLive    lambda.Alias // Version, AdditionalVersion, Weight
	}{
		{name: "new code", code: "v2", cfg: env("a"), weight: 0.2, wantChanged: true, wantLive: lambda.Alias{Version: 1, AdditionalVersion: 2, Weight: 0.2}},
		{name: "the canary's code again", code: "v2", cfg: env("a"), weight: 0.2, wantLive: lambda.Alias{Version: 1, AdditionalVersion: 2, Weight: 0.2}},
		{name: "the canary's with another weight and scaling", code: "v2", cfg: env("a"), weight: 0.5,
			mod:      func(r *lambda.DeployRequest) { r.Scaling.MinInstances = ptr(2) },
			wantLive: lambda.Alias{Version: 1, AdditionalVersion: 2, Weight: 0.5}},
		{name: "the canary's with invalid scaling", code: "v2", cfg: env("a"), weight: 0.7,
			mod:     func(r *lambda.DeployRequest) { r.Scaling.MaxInstances = ptr(1) },
			wantErr: lambda.EINVALID, wantLive: lambda.Alias{Version: 1, AdditionalVersion: 2, Weight: 0.5}},
		{name: "the canary's code with other config", code: "v2", cfg: env("b"), weight: 0.5, wantChanged: true, wantLive: lambda.Alias{Version: 1, AdditionalVersion: 3, Weight: 0.5}},
		{name: "the active's with a canary in place", code: "v1", cfg: env("a"), weight: 0.5, wantErr: lambda.ECONFLICT, wantLive: lambda.Alias{Version: 1, AdditionalVersion: 3, Weight: 0.5}},
		{name: "the active's, forced", code: "v1", cfg: env("a"), weight: 0.1,
			mod:         func(r *lambda.DeployRequest) { r.Force = true },
			wantChanged: true, wantLive: lambda.Alias{Version: 1, AdditionalVersion: 4, Weight: 0.1}},
		{name: "the canary's, forced", code: "v1", cfg: env("a"), weight: 0.1,
			mod:         func(r *lambda.DeployRequest) { r.Force = true },
			wantChanged: true, wantLive: lambda.Alias{Version: 1, AdditionalVersion: 5, Weight: 0.1}},
		{name: "the active's without a canary", code: "v1", cfg: env("a"), weight: 0.3, setup: rollback, wantLive: lambda.Alias{Version: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			before, starts := builds.Load(), len(e.driver.Specs())
			next, err := e.store.NextVersion(ctx, "greet")
			if err != nil {
				t.Fatal(err)
			}
			req := lambda.DeployRequest{Name: "greet", Config: tt.cfg, Code: strings.NewReader(tt.code), Canary: tt.weight, Progress: &progress{}}
			if tt.mod != nil {
				tt.mod(&req)
			}
			d, err := e.eng.Deploy(ctx, req)
			if lambda.ErrorCode(err) != tt.wantErr || err == nil && (d.Changed != tt.wantChanged || d.ActiveVersion != 1) {
				t.Fatalf("deploy: %+v, %v; want changed %v, error %q, version 1 active", d, err, tt.wantChanged, tt.wantErr)
			}
			if built := builds.Load() > before; built != tt.wantChanged {
				t.Errorf("an image was built: %v, want %v", built, tt.wantChanged)
			}
			if tt.wantChanged {
				next++
			} else if !tt.wantChanged && tt.mod == nil && len(e.driver.Specs()) != starts {
				t.Errorf("%d instances started by a deploy that published nothing", len(e.driver.Specs())-starts)
			}
			if got, err := e.store.NextVersion(ctx, "greet"); err != nil || got != next {
				t.Errorf("next version %d (%v), want %d", got, err, next)
			}
			live, err := e.eng.GetAlias(ctx, "greet", lambda.AliasLive)
			if err != nil || live.Version != tt.wantLive.Version || live.AdditionalVersion != tt.wantLive.AdditionalVersion || live.Weight != tt.wantLive.Weight {
				t.Errorf("live %+v (%v), want version %d, canary %d at %v", live, err, tt.wantLive.Version, tt.wantLive.AdditionalVersion, tt.wantLive.Weight)
			}
		})
	}
	fn, err := e.store.FindFunction(ctx, "greet")
	if err != nil || fn.Scaling.MinInstances != 2 || fn.Scaling.MaxInstances == 1 {
		t.Errorf("scaling of the canary's redeploy: %+v %v, want min_instances 2 and the invalid max refused", fn.Scaling, err)
	}
}
