package http

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/lambdahq/lambda"
)

// namesStore is a FunctionStore of named functions only.
type namesStore struct {
	lambda.FunctionStore // nil: only the methods below are called
	names                []string
}

func (n *namesStore) ListFunctions(context.Context) ([]*lambda.Function, error) {
	var fns []*lambda.Function
	for _, name := range n.names {
		fns = append(fns, &lambda.Function{Name: name})
	}
	return fns, nil
}

func (n *namesStore) FindFunction(_ context.Context, name string) (*lambda.Function, error) {
	for _, have := range n.names {
		if have == name {
			return &lambda.Function{Name: name}, nil
		}
	}
	return nil, lambda.Errorf(lambda.ENOTFOUND, "function %q not found", name)
}

func TestSuggestFunction(t *testing.T) {
	s := openForTest(NewServer())
	s.Store = &namesStore{names: []string{"greet", "hello", "report"}}
	notFound := func(name string) error { return lambda.Errorf(lambda.ENOTFOUND, "function %q not found", name) }
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"gret", notFound("gret"), `function "gret" not found — did you mean "greet"?`},
		{"helo", notFound("helo"), `function "helo" not found — did you mean "hello"?`},
		{"zzzzzz", notFound("zzzzzz"), `function "zzzzzz" not found`}, // nothing near: as it was
		// The function exists: what is missing is something else.
		{"greet", lambda.Errorf(lambda.ENOTFOUND, "version 9 of function %q not found", "greet"), `version 9 of function "greet" not found`},
		{"gret", lambda.Errorf(lambda.EINVALID, "bad"), "bad"}, // not a not-found
	} {
		got := lambda.ErrorMessage(s.suggestFunction(context.Background(), tc.err, tc.name))
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}

	// Through the route, as lambda describe sees it.
	resp := send(s, "GET", "localhost", "/v1/functions/gret", nil)
	var body ErrorResponse
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusNotFound || body.Error.Message != `function "gret" not found — did you mean "greet"?` {
		t.Errorf("GET /v1/functions/gret: %d %+v", resp.StatusCode, body)
	}
}

// A key that may read only some functions is never told of the others.
func TestSuggestFunctionOnlyReadable(t *testing.T) {
	s := openForTest(NewServer())
	s.Store = &namesStore{names: []string{"greet", "secret"}}
	ctx := withKey(context.Background(), &lambda.Key{ID: "k", Scope: lambda.ScopeRead, Functions: []string{"greet"}})
	err := s.suggestFunction(ctx, lambda.Errorf(lambda.ENOTFOUND, "function %q not found", "secrat"), "secrat")
	if got := lambda.ErrorMessage(err); got != `function "secrat" not found` {
		t.Errorf("got %q: a hint named a function the key may not read", got)
	}
}
