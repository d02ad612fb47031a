package http

import (
	"errors"
	"net/http"

	"github.com/lambdahq/lambda"
)

// handleLambdaEvent answers an Invoke API call with X-Amz-Invocation-Type
// Event, as Lambda: the event is queued and the answer is 202 with an empty
// body and the job's ID as X-Amzn-RequestId, sent only once the job is
// committed. inv is resolved: the function exists and the qualifier names
// its active version.
func (s *Server) handleLambdaEvent(w http.ResponseWriter, r *http.Request, inv *lambdaInvocation) {
	req, err := s.asyncRequest(r, inv.name, lambda.TriggerAPI)
	if err == nil {
		// resolveLambdaTarget checked the qualifier; the job keeps it, so
		// that a later retry never runs another version than was asked.
		req.Qualifier = inv.qualifier
		clearDeadline := readDeadline(w, s.BodyReadTimeout)
		req.Payload, err = readEvent(r, lambda.MaxAsyncPayloadBytes, "an asynchronous invocation")
		clearDeadline()
		err = s.bodyReadError(w, err)
	}
	if errors.Is(err, errNotJSON) {
		inv.writeOutcome(w, invalidContent, lambda.ErrorMessage(err))
		return
	}
	if err != nil {
		s.writeLambdaError(w, r, inv, err)
		return
	}
	job, created, err := s.Async.Submit(r.Context(), req)
	if err != nil {
		setKeyOwner(w.Header(), err)
		s.writeLambdaError(w, r, inv, err)
		return
	}
	h := w.Header()
	h.Set(amzRequestID, job.ID)
	if !created {
		h.Set(HeaderIdempotentReplay, "true")
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
}
