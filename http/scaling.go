package http

import (
	"net/http"
	"strings"

	"github.com/lambdahq/lambda"
)

// handleScaling changes a function's scaling settings; fields left out of
// the body stay as they are.
func (s *Server) handleScaling(w http.ResponseWriter, r *http.Request) {
	var patch lambda.ScalingPatch
	if err := readJSON(w, r, &patch); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	if patch.IsZero() {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.EINVALID, "nothing to change: set one of %s", strings.Join(lambda.ScalingSettings, ", ")))
		return
	}
	fn, err := s.Scaling.UpdateScaling(r.Context(), r.PathValue("name"), patch)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	respondJSON(w, http.StatusOK, s.detail(r.Context(), fn))
}
