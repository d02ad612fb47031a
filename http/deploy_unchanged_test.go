package http

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestDeployReportsUnchanged(t *testing.T) {
	d, _, c := newDeployServer(t)
	tests := []struct {
		name        string
		unchanged   bool
		force       bool
		wantChanged bool
	}{
		{"new version", false, false, true},
		{"nothing changed", true, false, false},
		{"forced", true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d.mu.Lock()
			d.unchanged = tt.unchanged
			d.mu.Unlock()
			res, err := c.Deploy(context.Background(), "greet", DeployRequest{Force: tt.force}, strings.NewReader("TARBALL"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := d.last(); got.Force != tt.force {
				t.Errorf("force reached the service as %v, want %v", got.Force, tt.force)
			}
			if res.Changed != tt.wantChanged || res.Name != "greet" || res.Active == nil {
				t.Errorf("result %+v, want changed %v", res, tt.wantChanged)
			}
			// `lambda deploy -o json` prints the result: the function's
			// fields and "changed" side by side.
			b, _ := json.Marshal(res)
			var doc map[string]any
			if err := json.Unmarshal(b, &doc); err != nil || doc["changed"] != tt.wantChanged || doc["name"] != "greet" {
				t.Errorf("result as JSON %s", b)
			}
		})
	}
}

// A server that predates the field published a version on every deploy.
func TestDeployEventsWithoutChanged(t *testing.T) {
	tests := []struct {
		done string
		want bool
	}{
		{`{"type":"done","function":{"name":"greet"}}`, true},
		{`{"type":"done","function":{"name":"greet"},"changed":true}`, true},
		{`{"type":"done","function":{"name":"greet"},"changed":false}`, false},
	}
	for _, tt := range tests {
		res, err := readDeployEvents(strings.NewReader(tt.done+"\n"), nil)
		if err != nil || res.Changed != tt.want || res.Name != "greet" {
			t.Errorf("%s: %+v, %v; want changed %v", tt.done, res, err, tt.want)
		}
	}
}

// versionStore answers the versions of one function, version 1 pruned.
type versionStore struct{ lambda.FunctionStore }

func (versionStore) FindFunction(_ context.Context, name string) (*lambda.Function, error) {
	return &lambda.Function{Name: name, ActiveVersion: 2}, nil
}

func (versionStore) ListVersions(_ context.Context, name string) ([]*lambda.Version, error) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return []*lambda.Version{{Function: name, Number: 1, PrunedAt: &at}, {Function: name, Number: 2}}, nil
}

func TestListVersionsMarksPruned(t *testing.T) {
	s := openForTest(NewServer())
	s.Store = versionStore{}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	vs, err := NewClient(srv.URL).ListVersions(context.Background(), "greet")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || !vs[0].Pruned || vs[0].PrunedAt == nil || vs[0].Active || vs[1].Pruned || !vs[1].Active {
		t.Errorf("versions %+v", vs)
	}
}
