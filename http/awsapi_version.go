package http

import (
	"net/http"

	"github.com/lambdahq/lambda"
)

// handleAWSDeleteVersion deletes one version (DeleteFunction with a
// Qualifier). The active version is $LATEST here, which Lambda never
// deletes apart from its function.
func (s *Server) handleAWSDeleteVersion(w http.ResponseWriter, r *http.Request, ref functionRef) {
	ctx := r.Context()
	fn, err := s.Store.FindFunction(ctx, ref.Name)
	if lambda.ErrorCode(err) == lambda.ENOTFOUND {
		err = s.notFound(ref.Name, ref.Qualifier)
	}
	var v *lambda.Version
	if err == nil {
		v, err = s.awsVersion(ctx, ref.Name, ref.Qualifier)
	}
	if err == nil && v.Number == fn.ActiveVersion {
		err = awsErrorf(lambdaOutcomes[lambda.ECONFLICT], "Version %d of %s is $LATEST (the version serving): deploy another version first, or delete the function", v.Number, ref.Name)
	}
	deleter, ok := s.Functions.(lambda.VersionDeleter)
	if err == nil && !ok {
		err = lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server cannot delete a single version")
	}
	if err == nil {
		err = deleter.DeleteVersion(ctx, ref.Name, v.Number)
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	writeAWSJSON(w, http.StatusNoContent, nil)
}
