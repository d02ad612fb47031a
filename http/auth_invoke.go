package http

import (
	"context"
	"net/http"

	"github.com/lambdahq/lambda"
)

// invokeAuthorizer returns the check the router runs before serving a
// private function to r (lambda.AuthorizeInvoke): a request of the
// control API (lambda invoke, the Invoke API) was authorized already; one by host name or path must bring a Bearer key
// with invoke scope for the function. *consumed reports that r's
// Authorization header was the platform's, not to be forwarded.
func (s *Server) invokeAuthorizer(r *http.Request, consumed *bool) lambda.InvokeAuthorizer {
	return func(ctx context.Context, function string) error {
		if s.authOff || keyFrom(r.Context()) != nil {
			return nil
		}
		*consumed = true
		addr := clientAddr(r)
		key, err := s.authenticate(nil, r)
		if err != nil {
			if lambda.ErrorCode(err) == lambda.EUNAUTHORIZED {
				err = lambda.Errorf(lambda.EUNAUTHORIZED, "function %q is private: %s", function, lambda.ErrorMessage(err))
				return s.authFailed(r, addr, key, err)
			}
			return err
		}
		if !key.Allows(lambda.ScopeInvoke, function) {
			s.Logger.Warn("authorization failed", "addr", addr, "key", key.ID, "scope", key.Scope, "need", lambda.ScopeInvoke, "function", function)
			return forbidden(key, lambda.ScopeInvoke, function)
		}
		return nil
	}
}
