package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/lambdahq/lambda"
)

// maxErrorBody bounds how much of an error answer the client reads.
const maxErrorBody = 64 << 10

// responseError turns a non-2xx answer into a *lambda.Error. Answers that
// do not carry the platform's error document (a proxy in the way, an old
// server) keep their status and the start of their body, so the user sees
// what actually answered.
func responseError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if e := parseErrorBody(body); e != nil {
		nameRequestID(e, resp.Header)
		return e
	}
	msg := fmt.Sprintf("server answered %s", resp.Status)
	if text := strings.TrimSpace(string(body)); text != "" {
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		msg += ": " + text
	}
	return &lambda.Error{Code: codeFromStatus(resp.StatusCode), Message: msg}
}

// parseErrorBody returns the error that body describes, or nil when body is
// not the platform's error document.
func parseErrorBody(body []byte) *lambda.Error {
	var doc ErrorResponse
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&doc); err != nil || doc.Error.Code == "" || !knownCode(doc.Error.Code) {
		return nil
	}
	msg := doc.Error.Message
	if msg == "" {
		msg = doc.Error.Code
	}
	return &lambda.Error{Code: doc.Error.Code, Message: msg}
}

// codeOf is statusOf inverted: the client knows the codes and statuses
// the server sends from the server's one table, so a code added there is
// understood here too.
var codeOf = func() map[int]string {
	m := make(map[int]string, len(statusOf))
	for code, status := range statusOf {
		if other, dup := m[status]; dup {
			panic(fmt.Sprintf("http: codes %s and %s both answer %d: the client could not tell them apart", other, code, status))
		}
		m[status] = code
	}
	return m
}()

// knownCode reports whether code is one the server answers with.
func knownCode(code string) bool {
	_, ok := statusOf[code]
	if !ok {
		_, ok = refinedCodes[code]
	}
	return ok
}

// codeFromStatus is the code of an answer that carries none of its own.
func codeFromStatus(status int) string {
	if code, ok := codeOf[status]; ok {
		return code
	}
	if status >= 400 && status < 500 {
		return lambda.EINVALID
	}
	return lambda.EINTERNAL
}

// nameRequestID adds the answer's request ID to the message of a platform
// failure: the server logged the cause under it, the user sees only that
// something failed, and the operator can find why.
func nameRequestID(e *lambda.Error, h http.Header) {
	if id := h.Get(HeaderAPIRequestID); validRequestID(id) && platformFault(ErrorStatus(e), e.Code) {
		e.Message += " (request ID " + id + ": check the server log)"
	}
}

// streamError is the error that ended a stream (a deploy's progress, a
// runtimes' preparation) as the user reads it: a platform failure names the
// request ID, as an error answer does.
func streamError(err error, h http.Header) error {
	var e *lambda.Error
	if errors.As(err, &e) {
		nameRequestID(e, h)
	}
	return err
}

// platformFault reports whether an error answer is one the server's access
// log holds at error level: a failure of the platform, not of the client
// or the function.
func platformFault(status int, code string) bool {
	return accessLevel(accessLogged, status, code, false) == slog.LevelError
}
