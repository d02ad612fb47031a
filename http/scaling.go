package http

import (
	"context"
	"net/http"
	"strings"

	"github.com/lambdahq/lambda"
)

// handleScaling changes a function's scaling settings; fields left out of
// the body stay as they are.
func (s *Server) handleScaling(w http.ResponseWriter, r *http.Request) {
	var patch lambda.ScalingPatch
	if err := s.readJSONBody(w, r, &patch); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	if patch.IsZero() {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.EINVALID, "nothing to change: set one of %s", strings.Join(lambda.ScalingSettings, ", ")))
		return
	}
	if err := authorizeDestinations(r.Context(), r.PathValue("name"), patch); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	fn, err := s.Scaling.UpdateScaling(r.Context(), r.PathValue("name"), patch)
	if err != nil {
		s.writeFunctionError(w, r, err)
		return
	}
	respondJSON(w, http.StatusOK, s.detail(r.Context(), fn))
}

// authorizeDestinations: a destination makes the platform invoke the
// function it names with records of function name's invocations, on the
// behalf of whoever set it (AWS requires lambda:InvokeFunction on it). The
// key that sets one must therefore cover that function too, or a key
// limited to one function could make any other run. Keys for every
// function pass; clearing a destination needs nothing more.
func authorizeDestinations(ctx context.Context, name string, patch lambda.ScalingPatch) error {
	set := lambda.ScalingPatch{OnSuccess: patch.OnSuccess, OnFailure: patch.OnFailure}.Apply(lambda.Scaling{})
	for _, d := range set.Destinations() {
		if !allowed(ctx, lambda.ScopeDeploy, d.Function) {
			return lambda.Errorf(lambda.EFORBIDDEN, "%s function %q: key %s does not cover it, and a destination is invoked on behalf of the key that sets it; use a key that covers both, such as one created with `lambda keys create NAME --scope deploy --function %s --function %s`",
				d.Setting, d.Function, keyFrom(ctx).ID, name, d.Function)
		}
	}
	return nil
}
