package sdk

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestWantsInfo(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"fn"}, false},
		{[]string{"fn", "-info"}, true},
		{[]string{"fn", "--info"}, true},
		{[]string{"fn", "-v", "-info=true"}, true},
		{[]string{"fn", "info"}, false},
		{[]string{"-info"}, false}, // the program name is not an argument
		{[]string{"fn", "-information"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := wantsInfo(tt.args); got != tt.want {
			t.Errorf("wantsInfo(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}

type addEvent struct {
	A float64 `json:"a"`
	B float64 `json:"b,omitempty"`
	C []int
}

func TestInfoOutput(t *testing.T) {
	tests := []struct {
		name   string
		start  func(p *process) int
		want   Metadata
		stderr string
	}{
		{"handler", func(p *process) int {
			return p.start(func(context.Context, addEvent) (float64, error) { return 0, nil },
				[]Option{Info{Name: "adder", Version: "1.2", Description: "adds",
					Params: []Param{{Name: "a", Description: "the first"}, {Name: "x", Kind: "string"}}}})
		}, Metadata{Name: "adder", Version: "1.2", Description: "adds", Style: "handler",
			Go:     "func(context.Context, sdk.addEvent) (float64, error)",
			Event:  &TypeInfo{Type: "sdk.addEvent", Kind: "object"},
			Result: &TypeInfo{Type: "float64", Kind: "number"},
			Params: []Param{{Name: "a", Type: "float64", Kind: "number", Description: "the first"},
				{Name: "b", Type: "float64", Kind: "number"}, {Name: "C", Type: "[]int", Kind: "array"}, {Name: "x", Kind: "string"}},
		}, ""},
		{"func", func(p *process) int { return p.start(Func(add, "a", "b"), nil) },
			Metadata{Name: "from-env", Style: "func", Go: "github.com/lambdahq/lambda/sdk.add func(float64, float64) float64",
				Event: &TypeInfo{Type: "object", Kind: "object"}, Result: &TypeInfo{Type: "float64", Kind: "number"},
				Params: []Param{{Name: "a", Type: "float64", Kind: "number"}, {Name: "b", Type: "float64", Kind: "number"}}}, ""},
		{"lifecycle", func(p *process) int { return p.run(&counter{}, nil) },
			Metadata{Name: "from-env", Style: "lifecycle", Event: &TypeInfo{Type: "json.RawMessage", Kind: "any"}, Params: []Param{}}, ""},
		{"worker", func(p *process) int { return p.start(&countingWorker{}, nil) },
			Metadata{Name: "from-env", Style: "handler", Event: &TypeInfo{Type: "json.RawMessage", Kind: "any"}, Params: []Param{}}, ""},
		{"bad handler", func(p *process) int { return p.start(42, nil) }, Metadata{}, "the handler is a int, not a function"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, r := testProcess(nil, nil)
			p.args = []string{"/var/task/bootstrap", "-info"}
			p.getenv = func(k string) string {
				if k == "AWS_LAMBDA_FUNCTION_NAME" {
					return "from-env"
				}
				return ""
			}
			code := tt.start(p)
			if tt.stderr != "" {
				if code != 1 || !strings.Contains(r.stderr.String(), tt.stderr) {
					t.Errorf("exit %d, stderr %q; want 1 and %q", code, r.stderr, tt.stderr)
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit status %d; stderr %s", code, r.stderr)
			}
			var got Metadata
			if err := json.Unmarshal([]byte(r.stdout.String()), &got); err != nil {
				t.Fatalf("%v: %s", err, r.stdout)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("metadata\n%s\nwant\n%+v", r.stdout, tt.want)
			}
		})
	}
}

func TestInfoNameDefaultsToProgram(t *testing.T) {
	m := metadata(nil, Info{}, func(string) string { return "" }, "/var/task/bootstrap")
	if m.Name != "bootstrap" {
		t.Errorf("name %q, want bootstrap", m.Name)
	}
}

func TestJSONKinds(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{int8(0), "integer"}, {uint(0), "integer"}, {0.5, "number"}, {"", "string"}, {true, "boolean"},
		{[]byte{}, "string"}, {[]int{}, "array"}, {[2]int{}, "array"}, {map[string]int{}, "object"},
		{struct{}{}, "object"}, {new(int), "integer"}, {json.RawMessage{}, "any"}, {new(any), "any"},
	}
	for _, tt := range tests {
		if got := jsonKind(reflect.TypeOf(tt.v)); got != tt.want {
			t.Errorf("jsonKind(%T) = %s, want %s", tt.v, got, tt.want)
		}
	}
}
