package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/lambdahq/lambda"
)

// ErrorHeader is set on every error answer of the platform itself.
const ErrorHeader = "X-Lambda-Error"

// statusOf is the only place where domain error codes become HTTP statuses.
var statusOf = map[string]int{
	lambda.EINVALID:        http.StatusBadRequest,
	lambda.EUNAUTHORIZED:   http.StatusUnauthorized,
	lambda.EFORBIDDEN:      http.StatusForbidden,
	lambda.ENOTFOUND:       http.StatusNotFound,
	lambda.ECONFLICT:       http.StatusConflict,
	lambda.EIDEMPOTENCY:    http.StatusUnprocessableEntity,
	lambda.ETOOLARGE:       http.StatusRequestEntityTooLarge,
	lambda.ETHROTTLED:      http.StatusTooManyRequests,
	lambda.ENOTIMPLEMENTED: http.StatusNotImplemented,
	lambda.EFUNCTION:       http.StatusBadGateway,
	lambda.EUNAVAILABLE:    http.StatusServiceUnavailable,
	lambda.ETIMEOUT:        http.StatusGatewayTimeout,
	lambda.ECLIENTTIMEOUT:  http.StatusRequestTimeout,
	lambda.EINTERNAL:       http.StatusInternalServerError,
}

// refinedCodes are codes that narrow a broader one and answer with its
// status: a client that reads only a status takes the broader code (each
// status of statusOf is one code's), one that reads the body the precise.
var refinedCodes = map[string]string{
	lambda.EOUTOFMEMORY: lambda.EFUNCTION, // 502: a function error whose cause is known
}

// ErrorStatus returns the HTTP status for err's code.
func ErrorStatus(err error) int {
	code := lambda.ErrorCode(err)
	if broader, ok := refinedCodes[code]; ok {
		code = broader
	}
	if st, ok := statusOf[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// writeError answers err as JSON. Platform failures are logged with their
// cause; the user sees only that something internal failed.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	code := lambda.ErrorCode(err)
	if code == lambda.EINTERNAL {
		logger.Error("request failed", "method", r.Method, "path", r.URL.Path, requestIDAttr(r.Context()), "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// Marks the answer as the platform's, so clients never mistake a
	// function's own error JSON for it.
	w.Header().Set(ErrorHeader, code)
	if code == lambda.ETHROTTLED && w.Header().Get("Retry-After") == "" {
		// Capacity frees as requests finish; a second is a fair first wait.
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(ErrorStatus(err))
	_ = json.NewEncoder(w).Encode(ErrorResponse{Error: ErrorBody{Code: code, Message: lambda.ErrorMessage(err)}})
}

func respondJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// maxJSONBody bounds control-API request bodies.
const maxJSONBody = 1 << 20

// readJSON decodes a control-API body, a JSON object, into v, rejecting
// unknown fields so typos do not pass silently. Anything but an object is
// refused: json would decode null into v as "nothing set", so that a
// stray `null` would act, e.g. roll a function back.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	var raw json.RawMessage
	body := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	tooLarge := func(err error) bool {
		var tooBig *http.MaxBytesError
		return errors.As(err, &tooBig)
	}
	if err := body.Decode(&raw); err != nil {
		if tooLarge(err) {
			return lambda.Errorf(lambda.ETOOLARGE, "request body is over %d bytes", maxJSONBody)
		}
		return lambda.Errorf(lambda.EINVALID, "request body is not valid JSON: %w", err)
	}
	if raw[0] != '{' {
		return lambda.Errorf(lambda.EINVALID, "request body must be a JSON object, got %.20s", raw)
	}
	// Anything after the object would be dropped unseen: of two objects
	// sent together, the first acted alone (a rollback, a redrive) and
	// the second, maybe the one meant, was ignored with a 200.
	end := body.InputOffset()
	if _, err := body.Token(); err != io.EOF {
		switch {
		case tooLarge(err):
			return lambda.Errorf(lambda.ETOOLARGE, "request body is over %d bytes", maxJSONBody)
		case errors.Is(err, os.ErrDeadlineExceeded):
			// The rest never came: the caller answers 408 and closes.
			return fmt.Errorf("read the request body: %w", err)
		}
		return lambda.Errorf(lambda.EINVALID, "request body holds more than its JSON object, which ends at byte %d: send one object", end)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return lambda.Errorf(lambda.EINVALID, "request body is not valid JSON: %v", err)
	}
	return nil
}

// readJSONBody is readJSON within the server's read timeout, as a
// function request's body: the server has no ReadTimeout (deploy
// uploads), and a body announced and never sent held the connection and
// its handler for good.
func (s *Server) readJSONBody(w http.ResponseWriter, r *http.Request, v any) error {
	clearDeadline := readDeadline(w, s.BodyReadTimeout)
	err := readJSON(w, r, v)
	clearDeadline()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return s.bodyReadError(w, err)
	}
	return err
}
