package http

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"

	"github.com/lambdahq/lambda"
)

// writeLambdaResult answers a synchronous Invoke API call with what the
// Invoker returned, in Lambda's format: the function's answer is the
// payload of a 200, whatever its status, with X-Amz-Function-Error when it
// failed; an invocation without an answer is reported by writeLambdaError
// (a function error document for timeouts and crashes, an API error for
// the rest). AWS clients never receive the platform's own error shape.
func (s *Server) writeLambdaResult(w http.ResponseWriter, r *http.Request, inv *lambdaInvocation, res *lambda.InvokeResult, err error) {
	if err != nil {
		if isCanceled(err) {
			return // the client went away: nobody reads an answer
		}
		var ref *invocationRef
		if errors.As(err, &ref) {
			inv.requestID = ref.id
			w.Header().Set(HeaderInvocationID, ref.id)
			if ref.replayed {
				w.Header().Set(HeaderIdempotentReplay, "true")
			}
		}
		s.writeLambdaError(w, r, inv, err)
		return
	}
	inv.requestID = res.Invocation.ID
	inv.version = res.Invocation.Version
	if res.Replayed {
		w.Header().Set(HeaderIdempotentReplay, "true")
	}
	if inv.shim && res.StatusCode == http.StatusGatewayTimeout {
		// The shim's own answer at the deadline (runtime-contract.md).
		inv.writeOutcome(w, outcomeOf(lambda.ETIMEOUT), "")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if ct := http.Header(res.Header).Get("Content-Type"); ct != "" {
		h.Set("Content-Type", ct)
	}
	h.Set(amzRequestID, inv.requestID)
	h.Set(amzExecVersion, strconv.Itoa(res.Invocation.Version))
	// Behind the shim a failure carries HeaderFunctionError; an http
	// function has no such header, so any error status of its own counts.
	if res.StatusCode >= 400 || res.FunctionError != "" {
		h.Set(amzFunctionError, "Unhandled")
	}
	if inv.tail && len(res.LogTail) > 0 {
		h.Set(amzLogResult, base64.StdEncoding.EncodeToString(res.LogTail))
	}
	h.Set("Content-Length", strconv.Itoa(len(res.Payload)))
	// The answer is whole and the instance released: a client that does
	// not read it may hold this goroutine for the write timeout, no longer.
	defer writeDeadline(w, s.WriteTimeout, s.WriteTimeout > 0)()
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Payload)
}
