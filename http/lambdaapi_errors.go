package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/lambdahq/lambda"
)

// Headers of the AWS Lambda Invoke API.
const (
	amzInvocationType = "X-Amz-Invocation-Type"
	amzLogType        = "X-Amz-Log-Type"
	amzLogResult      = "X-Amz-Log-Result"
	amzFunctionError  = "X-Amz-Function-Error"
	amzExecVersion    = "X-Amz-Executed-Version"
	amzRequestID      = "X-Amzn-RequestId"
	amzErrorType      = "X-Amzn-ErrorType"
)

// lambdaOutcome is how the Invoke API reports one domain error code.
type lambdaOutcome struct {
	status int    // HTTP status of an API error
	name   string // X-Amzn-ErrorType; empty for a function error
	fault  string // "User" or "Service": the Type field of the body
	// errorType is set instead of name for the function's own failures:
	// Lambda answers those with 200, X-Amz-Function-Error and an error
	// document as the payload, not with an API error.
	errorType string
}

// lambdaOutcomes is the only place where domain error codes become Invoke
// API answers. The exception names are Lambda's, so the SDKs return their
// typed errors (*types.ResourceNotFoundException and so on).
var lambdaOutcomes = map[string]lambdaOutcome{
	lambda.EINVALID:      {status: 400, name: "InvalidParameterValueException", fault: "User"},
	lambda.EUNAUTHORIZED: {status: 403, name: "AccessDeniedException", fault: "User"},
	lambda.EFORBIDDEN:    {status: 403, name: "AccessDeniedException", fault: "User"},
	lambda.ENOTFOUND:     {status: 404, name: "ResourceNotFoundException", fault: "User"},
	lambda.ECONFLICT:     {status: 409, name: "ResourceConflictException", fault: "User"},
	// An idempotency key reused with another payload: Lambda has no such
	// key, so the SDKs get their typed invalid-parameter error.
	lambda.EIDEMPOTENCY: {status: 400, name: "InvalidParameterValueException", fault: "User"},
	lambda.ETOOLARGE:    {status: 413, name: "RequestTooLargeException", fault: "User"},
	lambda.ETHROTTLED:   {status: 429, name: "TooManyRequestsException", fault: "User"},
	// A typed, non-retried error the SDKs surface with our message; used
	// for X-Amz-Invocation-Type: Event on a server without the async queue.
	lambda.ENOTIMPLEMENTED: {status: 400, name: "InvalidParameterValueException", fault: "User"},
	// Docker down is the service failing, not the caller: the SDKs retry
	// ServiceException with backoff, which suits a transient outage.
	lambda.EUNAVAILABLE: {status: 500, name: "ServiceException", fault: "Service"},
	lambda.EINTERNAL:    {status: 500, name: "ServiceException", fault: "Service"},
	lambda.EFUNCTION:    {errorType: "Runtime.ExitError"},
	// Lambda's error type of an invocation its runtime did not survive
	// because it reached the function's memory size.
	lambda.EOUTOFMEMORY: {errorType: "Runtime.OutOfMemory"},
	lambda.ETIMEOUT:     {errorType: "Sandbox.Timedout"},
	// Not a Lambda exception: Lambda's front end cuts slow uploads itself.
	lambda.ECLIENTTIMEOUT: {status: 408, name: "RequestTimeoutException", fault: "User"},
}

// invalidContent is Lambda's answer to a payload that is not JSON; the
// domain has no code of its own for it.
var invalidContent = lambdaOutcome{status: 400, name: "InvalidRequestContentException", fault: "User"}

func outcomeOf(code string) lambdaOutcome {
	if o, ok := lambdaOutcomes[code]; ok {
		return o
	}
	return lambdaOutcomes[lambda.EINTERNAL]
}

// lambdaErrorBody carries the message under both spellings: Lambda's model
// uses "Message" for some exceptions and "message" for others, and each SDK
// reads the one its model names.
type lambdaErrorBody struct {
	Type     string `json:"Type"`
	Message  string `json:"Message"`
	LowerMsg string `json:"message"`
}

// functionErrorBody is the payload of a function error produced by the
// platform (timeouts, crashes), shaped as Lambda's.
type functionErrorBody struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// writeLambdaError answers err in the Invoke API's format.
func (s *Server) writeLambdaError(w http.ResponseWriter, r *http.Request, inv *lambdaInvocation, err error) {
	code := lambda.ErrorCode(err)
	if code == lambda.EINTERNAL {
		s.Logger.Error("lambda invoke failed", "path", r.URL.Path, "err", err)
	}
	o := outcomeOf(code)
	if errors.Is(err, errBadClientContext) {
		o = invalidContent
	}
	inv.writeOutcome(w, o, lambda.ErrorMessage(err))
}

// writeOutcome answers an API error, or the platform's report of a
// function failure, with message.
func (inv *lambdaInvocation) writeOutcome(w http.ResponseWriter, o lambdaOutcome, message string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set(amzRequestID, inv.requestID)
	if o.name == "" {
		body := functionErrorBody{ErrorType: o.errorType, ErrorMessage: fmt.Sprintf("RequestId: %s Error: %s", inv.requestID, message)}
		if o.errorType == lambdaOutcomes[lambda.ETIMEOUT].errorType {
			body.ErrorMessage = timeoutMessage(inv.requestID, inv.timeout)
		}
		h.Set(amzFunctionError, "Unhandled")
		if inv.version > 0 {
			h.Set(amzExecVersion, strconv.Itoa(inv.version))
		}
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	h.Set(amzErrorType, o.name)
	if o.status == http.StatusTooManyRequests && h.Get("Retry-After") == "" {
		// Lambda's model reads TooManyRequestsException's retryAfterSeconds
		// from this header; SDKs and callers back off by it. A second, as
		// the control API's 429 says: capacity frees as invocations end.
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(o.status)
	_ = json.NewEncoder(w).Encode(lambdaErrorBody{Type: o.fault, Message: message, LowerMsg: message})
}

// timeoutMessage is Lambda's report of a timed-out invocation.
func timeoutMessage(requestID string, timeout time.Duration) string {
	return fmt.Sprintf("%s %s Task timed out after %.2f seconds", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), requestID, timeout.Seconds())
}
