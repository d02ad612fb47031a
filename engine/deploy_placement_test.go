package engine_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestDeployManifestPlacement: placement: in the uploaded lambda.yaml
// reaches the version and its instances' specs, and the request's
// (--placement) replaces it.
func TestDeployManifestPlacement(t *testing.T) {
	e := newEnv(t)
	yaml := "placement: [node.labels.gpu==true]\n"
	withManifests(t, e, &yaml, 0)
	tests := []struct {
		name string
		req  []string
		want []string
	}{
		{"the file's", nil, []string{"node.labels.gpu==true"}},
		{"the request's over it", []string{"node.role==worker"}, []string{"node.role==worker"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{Name: "placed", Code: bytes.NewReader(nil),
				Config: lambda.Config{Placement: tt.req}, Progress: &progress{}})
			if err != nil {
				t.Fatal(err)
			}
			specs := e.driver.Specs()
			if got := d.Active.Config.Placement; !slices.Equal(got, tt.want) || !slices.Equal(specs[len(specs)-1].Placement, tt.want) {
				t.Errorf("version's placement %q, instance's %q; want %q", got, specs[len(specs)-1].Placement, tt.want)
			}
		})
	}
}
