package shim

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
)

// errInvalidPayload rejects a raw invocation whose body is not JSON.
var errInvalidPayload = errors.New("payload is not valid JSON")

// appendEnvelope appends the handler envelope (the event of the handler
// protocol) for request r with body to dst.
func appendEnvelope(dst []byte, r *http.Request, body []byte, inv *invocation, fn *function) ([]byte, error) {
	dst = append(dst, `{"event":`...)
	var query url.Values
	if inv.raw {
		var err error
		if dst, err = appendRawEvent(dst, body); err != nil {
			return dst, err
		}
	} else {
		query = parseQuery(r.URL.RawQuery)
		dst = appendHTTPEvent(dst, body, query)
	}
	dst = append(dst, `,"context":{`...)
	dst = appendStringField(dst, "function_name", fn.name, true)
	dst = appendStringField(dst, "function_version", fn.version, false)
	dst = appendStringField(dst, "invocation_id", inv.id, false)
	dst = appendIntField(dst, "deadline_ms", inv.deadline.UnixMilli(), false)
	dst = appendIntField(dst, "memory_limit_mb", int64(fn.memoryMB), false)
	dst = appendKey(dst, "request", false)
	if inv.raw {
		dst = append(dst, "null"...)
	} else {
		dst = appendRequest(dst, r, body, query)
	}
	return append(dst, "}}"...), nil
}

// appendRawEvent appends a direct invocation's payload: JSON as is, an
// empty body as {}.
func appendRawEvent(dst []byte, body []byte) ([]byte, error) {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) == 0 {
		return append(dst, "{}"...), nil
	}
	if !json.Valid(b) {
		return dst, errInvalidPayload
	}
	return append(dst, b...), nil
}

// appendHTTPEvent appends the event of an HTTP request: its body if that
// is a JSON object, with each query parameter set on top as a string.
func appendHTTPEvent(dst []byte, body []byte, query url.Values) []byte {
	obj := jsonObject(body)
	switch {
	case len(query) == 0 && obj != nil:
		return append(dst, obj...)
	case len(query) == 0:
		return append(dst, "{}"...)
	case obj == nil || isEmptyObject(obj):
		return appendQuery(dst, query)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(obj, &fields); err != nil {
		return appendQuery(dst, query) // unreachable: obj is a valid object
	}
	for k, v := range query {
		fields[k] = appendJoined(nil, v)
	}
	dst = append(dst, '{')
	for i, k := range sortedKeys(fields) {
		dst = appendKey(dst, k, i == 0)
		dst = append(dst, fields[k]...)
	}
	return append(dst, '}')
}

func isEmptyObject(obj []byte) bool {
	return len(bytes.TrimSpace(obj[1:len(obj)-1])) == 0
}

// appendRequest appends the "request" of the handler context.
func appendRequest(dst []byte, r *http.Request, body []byte, query url.Values) []byte {
	dst = append(dst, '{')
	dst = appendStringField(dst, "method", r.Method, true)
	dst = appendStringField(dst, "path", r.URL.Path, false)
	dst = appendKey(dst, "headers", false)
	dst = appendHeaders(dst, r, false)
	dst = appendKey(dst, "query", false)
	dst = appendQuery(dst, query)
	dst = appendBody(dst, body)
	return append(dst, '}')
}
