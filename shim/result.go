package shim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// errInvalidJSON is a result that is not JSON where JSON is required.
var errInvalidJSON = errors.New("the function's result is not valid JSON")

// mapResult turns the result a function posted into the HTTP response for
// an HTTP request, as API Gateway and Function URLs do: an object with an
// integer statusCode is a response; any other JSON is a 200 JSON body. It
// sets headers in h and returns the status and body. An error describes
// what is wrong with the result; the caller answers 502.
func mapResult(result []byte, h http.Header) (int, []byte, error) {
	trimmed := bytes.TrimLeft(result, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		if !json.Valid(result) {
			return 0, nil, errInvalidJSON
		}
		h.Set("Content-Type", "application/json")
		return http.StatusOK, result, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return 0, nil, errInvalidJSON
	}
	status, isResponse := statusCode(fields["statusCode"])
	if !isResponse {
		h.Set("Content-Type", "application/json")
		return http.StatusOK, result, nil
	}
	if status < 200 || status > 599 {
		return 0, nil, fmt.Errorf("statusCode %d is not an HTTP status 200-599", status)
	}
	if err := setHeaders(h, fields["headers"], fields["multiValueHeaders"]); err != nil {
		return 0, nil, err
	}
	if raw := fields["cookies"]; !isNull(raw) {
		var cookies []string
		if err := json.Unmarshal(raw, &cookies); err != nil {
			return 0, nil, errors.New("cookies must be an array of strings")
		}
		for _, c := range cookies {
			h.Add("Set-Cookie", c)
		}
	}
	body, err := responseBody(fields["body"], fields["isBase64Encoded"])
	if err != nil {
		return 0, nil, err
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	return status, body, nil
}

// statusCode reads an integer statusCode; false when absent or not an
// integer, which makes the result a plain JSON value.
func statusCode(raw json.RawMessage) (int, bool) {
	if len(raw) == 0 || raw[0] == '-' {
		return 0, false
	}
	n, err := strconv.Atoi(string(raw))
	return n, err == nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// setHeaders applies a response's headers (name → value) and
// multiValueHeaders (name → values).
func setHeaders(h http.Header, single, multi json.RawMessage) error {
	if !isNull(single) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(single, &m); err != nil {
			return errors.New("headers must be an object of strings")
		}
		for _, name := range sortedKeys(m) {
			v, ok, err := headerValue(name, m[name])
			if err != nil {
				return err
			}
			if ok && allowedHeader(name) {
				h.Set(name, v)
			}
		}
	}
	if !isNull(multi) {
		var m map[string][]json.RawMessage
		if err := json.Unmarshal(multi, &m); err != nil {
			return errors.New("multiValueHeaders must be an object of arrays of strings")
		}
		for _, name := range sortedKeys(m) {
			for _, raw := range m[name] {
				v, ok, err := headerValue(name, raw)
				if err != nil {
					return err
				}
				if ok && allowedHeader(name) {
					h.Add(name, v)
				}
			}
		}
	}
	return nil
}

// headerValue reads one header value: a string, or a number or boolean
// taken as written (handlers often return Content-Length as a number).
// null is no value.
func headerValue(name string, raw json.RawMessage) (string, bool, error) {
	if !validHeaderName(name) {
		return "", false, fmt.Errorf("header name %q is not valid", name)
	}
	switch {
	case isNull(raw):
		return "", false, nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, fmt.Errorf("header %s: %w", name, err)
		}
		return s, true, nil
	case raw[0] == '{' || raw[0] == '[':
		return "", false, fmt.Errorf("header %s must be a string", name)
	}
	return string(raw), true, nil
}

// allowedHeader drops the headers the shim itself owns: framing is the
// server's business, and X-Lambda-* carry the platform's verdicts.
func allowedHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "Trailer":
		return false
	}
	return len(name) < 9 || !strings.EqualFold(name[:9], "x-lambda-")
}

// validHeaderName reports an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// responseBody reads body: a string (base64-decoded when isBase64Encoded),
// or any other JSON value taken as written.
func responseBody(raw, isBase64 json.RawMessage) ([]byte, error) {
	if isNull(raw) {
		return nil, nil
	}
	if raw[0] != '"' {
		return raw, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	if string(isBase64) != "true" {
		return []byte(s), nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("body is not valid base64 although isBase64Encoded is true")
	}
	return b, nil
}
