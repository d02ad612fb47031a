package lambda

import (
	"errors"
	"fmt"
)

// Error codes. Each names a class of failure the caller can act on; the HTTP
// layer alone decides which status each one becomes.
const (
	EINVALID        = "invalid"                // the request is malformed or refers to bad input
	ENOTFOUND       = "not_found"              // the named resource does not exist
	ECONFLICT       = "conflict"               // the resource exists or is busy
	EIDEMPOTENCY    = "idempotency_key_reused" // an idempotency key came back with another payload
	EUNAUTHORIZED   = "unauthorized"           // credentials missing or wrong
	EFORBIDDEN      = "forbidden"              // valid credentials without the right scope or function
	ETOOLARGE       = "too_large"              // a body or upload exceeds its limit
	EFUNCTION       = "function_error"         // the function crashed, refused or answered garbage
	EOUTOFMEMORY    = "out_of_memory"          // the function reached its memory limit and was killed (a function error)
	ETIMEOUT        = "timeout"                // the function ran past its deadline
	ECLIENTTIMEOUT  = "client_timeout"         // the client was too slow sending its request
	ETHROTTLED      = "throttled"              // no capacity now; retry later
	EUNAVAILABLE    = "unavailable"            // a dependency of the platform (Docker) is down
	ENOTIMPLEMENTED = "not_implemented"        // a known feature that this build does not offer yet
	EINTERNAL       = "internal"               // the platform failed
)

// Error is the one error type of the domain. Message is safe to show to the
// user; Err, when set, keeps the underlying cause for logs and errors.Is.
type Error struct {
	Code    string
	Message string
	Err     error
}

// Error returns the message, which already describes the cause when there
// is one (Errorf formats it in); a bare cause is used when there is none.
func (e *Error) Error() string {
	if e.Message == "" && e.Err != nil {
		return e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
// A %w verb in format is honoured, so the cause stays reachable.
func Errorf(code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the user-facing message of err. Internal errors are
// not described to users: their details belong in the server's log.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e) && e.Code != EINTERNAL:
		if e.Message != "" {
			return e.Message
		}
		return e.Error()
	default:
		return "internal error"
	}
}
