package http

import (
	"net/http"

	"github.com/lambdahq/lambda"
)

// Handlers of asynchronous invocations and their records. Placeholders
// until the async queue lands (issue 10): each answers 501.

func (s *Server) handleSubmitInvocation(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, s.Logger, errNoAsync)
}

func (s *Server) handleListInvocations(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, s.Logger, errNoAsync)
}

func (s *Server) handleGetInvocation(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, s.Logger, errNoAsync)
}

func (s *Server) handleRedrive(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, s.Logger, errNoAsync)
}

var errNoAsync = lambda.Errorf(lambda.ENOTIMPLEMENTED, "asynchronous invocations are not available on this server")
