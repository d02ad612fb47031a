package http

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestDeployCarriesTheKeysFunctions: the engine is told which functions
// the deploying key is limited to (it refuses another function's
// platform-built image with them); a key for every function limits
// nothing.
func TestDeployCarriesTheKeysFunctions(t *testing.T) {
	a := newAuthServer()
	d := &fakeDeployer{}
	a.Functions = d
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	_, limited := a.newKey(t, lambda.ScopeDeploy, "greet", "other")
	_, every := a.newKey(t, lambda.ScopeDeploy)
	for _, tt := range []struct {
		name, secret string
		want         []string
	}{
		{"a key limited to functions", limited, []string{"greet", "other"}},
		{"a key for every function", every, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClient(srv.URL)
			c.APIKey = tt.secret
			if _, err := c.DeployImage(context.Background(), "greet", DeployRequest{}, "func-secret:v1", nil); err != nil {
				t.Fatal(err)
			}
			if got, _ := d.last(); !slices.Equal(got.OnlyFunctions, tt.want) || got.Image != "func-secret:v1" {
				t.Errorf("the deploy reached the engine with OnlyFunctions %q, image %q; want %q", got.OnlyFunctions, got.Image, tt.want)
			}
		})
	}
}
