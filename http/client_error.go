package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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

func knownCode(code string) bool {
	switch code {
	case lambda.EINVALID, lambda.ENOTFOUND, lambda.ECONFLICT, lambda.EUNAUTHORIZED, lambda.EFORBIDDEN,
		lambda.ETOOLARGE, lambda.EFUNCTION, lambda.ETIMEOUT, lambda.ECLIENTTIMEOUT, lambda.ETHROTTLED,
		lambda.EUNAVAILABLE, lambda.ENOTIMPLEMENTED, lambda.EINTERNAL:
		return true
	}
	return false
}

// codeFromStatus is the inverse of the table in docs/api.md, for answers
// that carry no code of their own.
func codeFromStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return lambda.EINVALID
	case http.StatusUnauthorized:
		return lambda.EUNAUTHORIZED
	case http.StatusForbidden:
		return lambda.EFORBIDDEN
	case http.StatusNotFound:
		return lambda.ENOTFOUND
	case http.StatusConflict:
		return lambda.ECONFLICT
	case http.StatusRequestTimeout:
		return lambda.ECLIENTTIMEOUT
	case http.StatusRequestEntityTooLarge:
		return lambda.ETOOLARGE
	case http.StatusTooManyRequests:
		return lambda.ETHROTTLED
	case http.StatusNotImplemented:
		return lambda.ENOTIMPLEMENTED
	case http.StatusBadGateway:
		return lambda.EFUNCTION
	case http.StatusServiceUnavailable:
		return lambda.EUNAVAILABLE
	case http.StatusGatewayTimeout:
		return lambda.ETIMEOUT
	}
	if status >= 400 && status < 500 {
		return lambda.EINVALID
	}
	return lambda.EINTERNAL
}
