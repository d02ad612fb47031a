package manifest

import (
	"slices"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestParsePlacement: placement takes the constraints lambda deploy
// --placement takes (a list, or one), checked by the same rule, and a
// project's functions take the shared ones unless their entry sets its
// own.
func TestParsePlacement(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
		err       string
	}{
		{"list", "placement:\n  - node.labels.gpu==true\n  - node.hostname!=node-3", []string{"node.labels.gpu==true", "node.hostname!=node-3"}, ""},
		{"one", "placement: node.role==worker", []string{"node.role==worker"}, ""},
		{"empty", "placement:", nil, ""},
		{"bad constraint", "name: a\nplacement:\n  - gpu=true", nil,
			`lambda.yaml: line 3: placement: placement constraint "gpu=true" is invalid: want ATTRIBUTE==VALUE or ATTRIBUTE!=VALUE, e.g. node.labels.gpu==true or node.hostname!=node-3`},
		{"mapping", "placement: {gpu: true}", nil, `lambda.yaml: line 1: placement: must be a list of constraints like "- node.labels.gpu==true", not a mapping`},
		{"empty entry", "placement:\n  - ''", nil, `lambda.yaml: line 2: placement[0]: is empty: set a value or remove the key`},
		{"nested list", "placement:\n  - [a]", nil, `lambda.yaml: line 2: placement[0]: must be a single value, not a list`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.src))
			if tt.err != "" {
				if lambda.ErrorCode(err) != lambda.EINVALID || lambda.ErrorMessage(err) != tt.err {
					t.Fatalf("Parse = %v\nwant: %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Placement, tt.want) || !slices.Equal(m.Config().Placement, tt.want) || !slices.Equal(m.Deploy().Config.Placement, tt.want) {
				t.Errorf("placement %q, config %q; want %q", m.Placement, m.Config().Placement, tt.want)
			}
		})
	}
}

func TestParsePlacementTooMany(t *testing.T) {
	src := "placement:\n"
	for range lambda.MaxPlacements + 1 {
		src += "  - node.role==worker\n"
	}
	_, err := Parse([]byte(src))
	if want := `lambda.yaml: line 2: placement: 17 placement constraints, at most 16`; lambda.ErrorMessage(err) != want {
		t.Errorf("Parse = %v, want %s", err, want)
	}
}

func TestParseProjectPlacement(t *testing.T) {
	m, err := Parse([]byte("project: shop\nplacement: [node.role==worker]\nfunctions:\n  api:\n  gpu:\n    placement: [node.labels.gpu==true]\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, f := range m.DeployProject().Functions {
		got[f.Name] = f.Config.Placement
	}
	if !slices.Equal(got["api"], []string{"node.role==worker"}) || !slices.Equal(got["gpu"], []string{"node.labels.gpu==true"}) {
		t.Errorf("placements %q: want api's the project's, gpu's its own", got)
	}
}
