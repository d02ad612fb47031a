package http

import (
	"net/http"

	"github.com/lambdahq/lambda"
)

// RuntimeList is the body of GET /v1/runtimes.
type RuntimeList struct {
	Runtimes []lambda.RuntimeInfo `json:"runtimes"`
}

// handleListRuntimes lists the runtimes and whether their images are on
// the server's host.
func (s *Server) handleListRuntimes(w http.ResponseWriter, r *http.Request) {
	if s.Runtimes == nil {
		writeError(w, r, s.Logger, errNoRuntimes)
		return
	}
	list, err := s.Runtimes.ListRuntimes(r.Context())
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	if list == nil {
		list = []lambda.RuntimeInfo{}
	}
	respondJSON(w, http.StatusOK, RuntimeList{Runtimes: list})
}

// handlePrepareRuntimes makes the runtimes' images available, streaming
// the same step, log, done and error events as a deploy (done carries no
// function). Pulls and builds can take minutes.
func (s *Server) handlePrepareRuntimes(w http.ResponseWriter, r *http.Request) {
	if s.Runtimes == nil {
		writeError(w, r, s.Logger, errNoRuntimes)
		return
	}
	// The base images are every function's, built or pulled for the whole
	// host: not the business of a key limited to some functions.
	if k := keyFrom(r.Context()); k != nil && len(k.Functions) > 0 {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.EFORBIDDEN, "key %s is limited to functions %v, and preparing runtimes builds images every function shares: use an admin key not limited to functions", k.ID, k.Functions))
		return
	}
	stream := &eventStream{w: w, open: true}
	err := s.Runtimes.PrepareRuntimes(r.Context(), stream)
	if err != nil {
		if !stream.started() {
			writeError(w, r, s.Logger, err)
			return
		}
		if lambda.ErrorCode(err) == lambda.EINTERNAL {
			s.Logger.Error("prepare runtimes failed", requestIDAttr(r.Context()), "err", err)
		}
		stream.send(DeployEvent{Type: EventError, Error: &ErrorBody{Code: lambda.ErrorCode(err), Message: lambda.ErrorMessage(err)}})
		return
	}
	stream.send(DeployEvent{Type: EventDone, Message: "runtimes prepared"})
}

var errNoRuntimes = lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server does not manage runtimes")
