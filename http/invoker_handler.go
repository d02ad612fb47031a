package http

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"

	"github.com/lambdahq/lambda"
)

// HeaderInvocationID names, on a refusal of an idempotent call (409 while
// its first call runs, 422 for another payload), the invocation its key
// belongs to.
const HeaderInvocationID = "X-Lambda-Invocation-Id"

// handleInvoke serves POST /v1/functions/{name}/invoke (`lambda invoke`):
// the body is the event, and the answer is the function's (status, its
// headers, body) with the invocation's version, cold start and ID.
// Idempotency-Key makes a repeated call replay the first one's answer;
// ?timeout=D shortens the function's timeout for this call.
func (s *Server) handleInvoke(w http.ResponseWriter, r *http.Request) {
	req := &lambda.InvokeRequest{Function: r.PathValue("name"), Trigger: lambda.TriggerInvoke, RequestID: lambda.NewRequestID(), LogTail: r.Header.Get(HeaderLogType) == "Tail"}
	// An alias or version number (`lambda invoke NAME:ALIAS`); checked by
	// the Invoker.
	q := r.URL.Query()
	req.Trace, req.TraceState = traceOf(r.Header)
	err := lambda.ValidateName(req.Function)
	if err == nil {
		req.Qualifier, err = oneParam(q, "qualifier")
	}
	if err == nil {
		req.IdempotencyKey, err = idempotencyKey(r.Header)
	}
	if err == nil {
		req.Timeout, err = timeoutQuery(q)
	}
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	body, err := readPayload(w, r, s.BodyReadTimeout)
	if err != nil {
		w.Header().Set("Connection", "close") // the rest of the body is not worth reading
		writeError(w, r, s.Logger, err)
		return
	}
	if body != nil {
		// A copy, not the pooled buffer: the Transport may still read the
		// request body after the answer came, and the idempotency record
		// keeps the event.
		req.Payload = bytes.Clone(body.data)
		body.release()
	}
	res, err := s.Invoker.Invoke(r.Context(), req)
	if err != nil {
		// `lambda invoke gret`: "did you mean"; the gateway's routes do not.
		s.writeInvokeError(w, r, req.RequestID, s.suggestFunction(r.Context(), err, req.Function))
		return
	}
	h := w.Header()
	for k, v := range res.Header {
		h[k] = v
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	h.Set(HeaderRequestID, res.Invocation.ID)
	if res.Invocation.TraceID != "" {
		h.Set(HeaderTraceID, res.Invocation.TraceID)
	}
	h.Set("X-Lambda-Version", strconv.Itoa(res.Invocation.Version))
	h.Set("X-Lambda-Cold-Start", strconv.FormatBool(res.Invocation.Cold))
	if res.FunctionError != "" {
		h.Set(HeaderFunctionError, res.FunctionError)
	}
	if req.LogTail && !res.Replayed {
		h.Set(HeaderLogResult, base64.StdEncoding.EncodeToString(res.LogTail))
	}
	if res.Replayed {
		h.Set(HeaderIdempotentReplay, "true")
	}
	h.Set("Content-Length", strconv.Itoa(len(res.Payload)))
	// The answer is whole and the instance released: a client that does
	// not read it may hold this goroutine and its buffer for the write
	// timeout, no longer.
	defer writeDeadline(w, s.WriteTimeout, s.WriteTimeout > 0)()
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(res.Payload)
}

// writeInvokeError answers a direct invocation that got no answer, with
// the ID of the invocation it concerns.
func (s *Server) writeInvokeError(w http.ResponseWriter, r *http.Request, id string, err error) {
	if isCanceled(err) {
		return // the client went away: nobody reads an answer
	}
	h := w.Header()
	var ref *invocationRef
	if errors.As(err, &ref) {
		id = ref.id
		h.Set(HeaderInvocationID, id)
		if ref.replayed {
			h.Set(HeaderIdempotentReplay, "true")
		}
	}
	h.Set(HeaderRequestID, id)
	writeError(w, r, s.Logger, err)
}
