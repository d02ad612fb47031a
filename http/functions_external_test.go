package http

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/lambdahq/lambda"
)

// listedStore is a fakeFunctionStore that lists its functions.
type listedStore struct{ *fakeFunctionStore }

func (s listedStore) ListFunctions(context.Context) ([]*lambda.Function, error) {
	var out []*lambda.Function
	for _, fn := range s.fns {
		out = append(out, fn)
	}
	return out, nil
}

// noInstances is a FunctionService whose functions run no instance.
type noInstances struct{ lambda.FunctionService }

func (noInstances) Instances(context.Context, string) ([]*lambda.Instance, error) { return nil, nil }

// fakeExternal serves fixed external functions.
type fakeExternal map[string]*lambda.ExternalFunction

func (f fakeExternal) ExternalFunctions(context.Context) ([]*lambda.ExternalFunction, error) {
	var out []*lambda.ExternalFunction
	for _, x := range f {
		if len(x.Replicas) > 0 && !x.Shadowed {
			out = append(out, x)
		}
	}
	return out, nil
}

func (f fakeExternal) ExternalFunction(_ context.Context, name string) (*lambda.ExternalFunction, error) {
	if x, ok := f[name]; ok {
		return x, nil
	}
	return nil, lambda.Errorf(lambda.ENOTFOUND, "function %q not found", name)
}

func newExternalServer(t *testing.T) *Server {
	t.Helper()
	store := &fakeFunctionStore{fns: map[string]*lambda.Function{}, versions: map[string][]int{}}
	store.add("greet", 1, lambda.ProtocolHTTP, 0)
	s := openForTest(NewServer())
	s.Store, s.Functions = listedStore{store}, noInstances{}
	replica := func(id string) *lambda.Instance {
		return &lambda.Instance{ID: id, Addr: "172.20.0.2:8080", Running: true, State: lambda.InstanceIdle}
	}
	s.External = fakeExternal{
		"adder": {Name: "adder", Port: 8080, Replicas: []*lambda.Instance{replica("c1"), replica("c2")}},
		"gone":  {Name: "gone", Port: 80, Replicas: []*lambda.Instance{}},
		"greet": {Name: "greet", Port: 80, Replicas: []*lambda.Instance{replica("c3")}, Shadowed: true},
	}
	return s
}

func TestListShowsExternalFunctions(t *testing.T) {
	s := newExternalServer(t)
	resp := send(s, "GET", "localhost", "/v1/functions", nil)
	var list FunctionList
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("list: %d %v", resp.StatusCode, err)
	}
	if len(list.Functions) != 2 {
		t.Fatalf("listed %+v, want adder (external) and greet (deployed) once", list.Functions)
	}
	adder, greet := list.Functions[0], list.Functions[1]
	if adder.Name != "adder" || adder.Runtime != lambda.RuntimeExternal || adder.Status != StatusReady || adder.Version != lambda.ExternalVersion || adder.URL == "" {
		t.Errorf("adder listed as %+v, want external and ready, version 1", adder)
	}
	if greet.Name != "greet" || greet.Runtime == lambda.RuntimeExternal || greet.Version != 1 {
		t.Errorf("greet listed as %+v, want the deployed version 1 (it shadows the labelled one)", greet)
	}
}

func TestDescribeExternalFunction(t *testing.T) {
	s := newExternalServer(t)
	tests := []struct {
		name, status string
		code         int
		replicas     int
	}{
		{"adder", StatusReady, http.StatusOK, 2},
		{"gone", StatusStopped, http.StatusOK, 0},
		{"greet", StatusIdle, http.StatusOK, 0}, // the deployed one, its instances
		{"nope", "", http.StatusNotFound, 0},
	}
	for _, tt := range tests {
		resp := send(s, "GET", "localhost", "/v1/functions/"+tt.name, nil)
		if resp.StatusCode != tt.code {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.code)
			continue
		}
		if tt.code != http.StatusOK {
			continue
		}
		var d FunctionDetail
		if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
			t.Fatal(err)
		}
		external := tt.name != "greet"
		if d.Status != tt.status || len(d.Instances) != tt.replicas || (d.Active.Config.Runtime == lambda.RuntimeExternal) != external {
			t.Errorf("%s: %+v (runtime %s), want status %s, %d replicas, external %v", tt.name, d, d.Active.Config.Runtime, tt.status, tt.replicas, external)
		}
		if external && (d.Active.Config.Port == 0 || d.Active.Config.Protocol != lambda.ProtocolHTTP) {
			t.Errorf("%s: config %+v, want its port over http", tt.name, d.Active.Config)
		}
	}
}
