package http

import (
	"context"
	"net/http"

	"github.com/lambdahq/lambda"
)

// handleRedrive queues dead invocations of a function again.

func (s *Server) handleRedrive(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req RedriveRequest
	err := lambda.ValidateName(name)
	if err == nil && s.Async == nil {
		err = lambda.Errorf(lambda.ENOTIMPLEMENTED, "%s", invocationsNotAvailable)
	}
	if err == nil {
		err = s.readJSONBody(w, r, &req)
	}
	if err == nil {
		err = checkRedrive(req)
	}
	if err == nil {
		err = s.checkFunction(r.Context(), name)
	}
	if err == nil {
		err = s.checkDead(r.Context(), name, req.IDs)
	}
	if err != nil {
		s.writeFunctionError(w, r, err)
		return
	}
	jobs, err := s.Async.Redrive(r.Context(), name, req.IDs)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	out := RedriveResult{Redriven: make([]*lambda.Job, 0, len(jobs))}
	for _, j := range jobs {
		out.Redriven = append(out.Redriven, summary(j))
	}
	respondJSON(w, http.StatusOK, out)
}

// checkRedrive accepts exactly one of ids and all.
func checkRedrive(req RedriveRequest) error {
	switch {
	case req.All && len(req.IDs) > 0:
		return lambda.Errorf(lambda.EINVALID, `pass either "ids" or "all": true, not both`)
	case !req.All && len(req.IDs) == 0:
		return lambda.Errorf(lambda.EINVALID, `name the dead invocations to redrive in "ids", or pass "all": true for every dead one`)
	case len(req.IDs) > maxRedriveIDs:
		return lambda.Errorf(lambda.EINVALID, "%d ids is over the limit of %d per redrive: split them, or pass \"all\": true", len(req.IDs), maxRedriveIDs)
	}
	for i, id := range req.IDs {
		if id == "" {
			return lambda.Errorf(lambda.EINVALID, "ids[%d] is empty", i)
		}
	}
	return nil
}

// checkDead explains why an invocation cannot be redriven before the store
// refuses it (which it still does, atomically, if a job changed since).
func (s *Server) checkDead(ctx context.Context, function string, ids []string) error {
	for _, id := range ids {
		j, err := s.Async.FindJob(ctx, id)
		if lambda.ErrorCode(err) == lambda.ENOTFOUND || (err == nil && j.Function != function) {
			return lambda.Errorf(lambda.ENOTFOUND, "invocation %q of function %q not found: list the dead ones with `lambda invocations %s --status dead`", id, function, function)
		}
		if err != nil {
			return err
		}
		if j.Status != lambda.StatusDead {
			return lambda.Errorf(lambda.ECONFLICT, "invocation %q is %s, not dead: only dead invocations can be redriven; list them with `lambda invocations %s --status dead`", id, j.Status, function)
		}
	}
	return nil
}
