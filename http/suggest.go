package http

import (
	"context"
	"net/http"

	"github.com/lambdahq/lambda"
)

// writeFunctionError answers err like writeError, but an ENOTFOUND about
// a function that does not exist names the closest one the caller may
// read: `function "gret" not found — did you mean "greet"?`. Only the
// control API's handlers call it, on their error path: the gateway (/fn/,
// function hosts, the Lambda API) never lists functions for a public
// caller, nor pays for it on a request to a wrong name.
func (s *Server) writeFunctionError(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, s.Logger, s.suggestFunction(r.Context(), err, r.PathValue("name")))
}

// suggestFunction returns err, or when err says function name is not
// found and a function of a near name exists, the error that says so. A
// function that does exist leaves err as it is: what is missing then is
// something else (a version, an invocation). Only the names the
// request's key may read are candidates, so a hint never reveals a
// function the caller could not list.
func (s *Server) suggestFunction(ctx context.Context, err error, name string) error {
	if lambda.ErrorCode(err) != lambda.ENOTFOUND || lambda.ValidateName(name) != nil || s.Store == nil {
		return err
	}
	fns, lerr := s.Store.ListFunctions(ctx)
	if lerr != nil {
		return err
	}
	names := make([]string, 0, len(fns))
	for _, fn := range fns {
		if fn.Name == name {
			return err
		}
		if allowed(ctx, lambda.ScopeRead, fn.Name) {
			names = append(names, fn.Name)
		}
	}
	if best := lambda.ClosestName(name, names); best != "" {
		return lambda.Errorf(lambda.ENOTFOUND, "function %q not found — did you mean %q?", name, best)
	}
	return err
}
