package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/lambdahq/lambda"
)

// awsMaxRequestBytes is Lambda's limit on a request carrying a zip inline
// (CreateFunction, UpdateFunctionCode): 50 MB of zip in base64, in JSON.
const awsMaxRequestBytes = 70167211

// Lambda API answers that no domain error code maps to.
var (
	// validationOutcome: a value outside the model's constraints (a name
	// too long, a memory size out of range), which Lambda refuses before
	// its own checks.
	validationOutcome = lambdaOutcome{status: http.StatusBadRequest, name: "ValidationException", fault: "User"}
	// preconditionOutcome: a RevisionId or CodeSha256 that is not the
	// function's.
	preconditionOutcome = lambdaOutcome{status: http.StatusPreconditionFailed, name: "PreconditionFailedException", fault: "User"}
)

// awsError is a refusal the Lambda API names itself.
type awsError struct {
	o   lambdaOutcome
	msg string
}

func (e *awsError) Error() string { return e.o.name + ": " + e.msg }

func awsErrorf(o lambdaOutcome, format string, args ...any) error {
	return &awsError{o: o, msg: fmt.Sprintf(format, args...)}
}

// writeAWSError answers err as the Lambda API does: X-Amzn-ErrorType and
// {"Type","Message"}. Platform failures are logged; the function-error
// outcomes of the Invoke API do not apply to the control operations.
func (s *Server) writeAWSError(w http.ResponseWriter, r *http.Request, err error) {
	inv := &lambdaInvocation{requestID: lambda.NewRequestID()}
	var ae *awsError
	if errors.As(err, &ae) {
		inv.writeOutcome(w, ae.o, ae.msg)
		return
	}
	code := lambda.ErrorCode(err)
	o := outcomeOf(code)
	if o.name == "" {
		o = lambdaOutcomes[lambda.EINTERNAL]
	}
	if o.fault == "Service" {
		s.Logger.Error("lambda API call failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	inv.writeOutcome(w, o, lambda.ErrorMessage(err))
}

// writeAWSJSON answers v with status.
func writeAWSJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set(amzRequestID, lambda.NewRequestID())
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}
