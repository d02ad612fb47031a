package shim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// Pieces of the request that both events carry.

// appendHeaders appends r's headers as a JSON object: lower-case names,
// repeated values joined with ",", the shim's control headers left out.
// With noCookie the Cookie header is left out too (Function URL events
// carry cookies apart).
func appendHeaders(dst []byte, r *http.Request, noCookie bool) []byte {
	names := make([]string, 0, len(r.Header)+1)
	for name := range r.Header {
		if isControlHeader(name) || noCookie && name == "Cookie" {
			continue
		}
		names = append(names, name)
	}
	if r.Host != "" {
		if _, dup := r.Header["Host"]; !dup {
			names = append(names, "Host")
		}
	}
	slices.Sort(names)
	dst = append(dst, '{')
	for i, name := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendLowerString(dst, name)
		dst = append(dst, ':')
		if values, ok := r.Header[name]; ok {
			dst = appendJoined(dst, values)
		} else {
			dst = appendString(dst, r.Host)
		}
	}
	return append(dst, '}')
}

// appendJoined appends values joined with "," as one JSON string.
func appendJoined(dst []byte, values []string) []byte {
	if len(values) == 1 {
		return appendString(dst, values[0])
	}
	return appendString(dst, strings.Join(values, ","))
}

// appendQuery appends query parameters as a JSON object of strings,
// repeated parameters joined with ",".
func appendQuery(dst []byte, query url.Values) []byte {
	dst = append(dst, '{')
	for i, k := range sortedKeys(query) {
		dst = appendKey(dst, k, i == 0)
		dst = appendJoined(dst, query[k])
	}
	return append(dst, '}')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendBody appends the "body" and "isBase64Encoded" fields: the body as
// text when it is UTF-8, else base64.
func appendBody(dst []byte, body []byte) []byte {
	dst = appendKey(dst, "body", false)
	if utf8.Valid(body) {
		dst = appendString(dst, body)
		return appendBoolField(dst, "isBase64Encoded", false, false)
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, body)
	dst = append(dst, '"')
	return appendBoolField(dst, "isBase64Encoded", true, false)
}

// parseQuery parses a raw query, keeping what parses.
func parseQuery(raw string) url.Values {
	if raw == "" {
		return nil
	}
	q, _ := url.ParseQuery(raw)
	return q
}

// jsonObject returns body without surrounding white space if it is a JSON
// object, else nil.
func jsonObject(body []byte) []byte {
	b := bytes.TrimSpace(body)
	if len(b) < 2 || b[0] != '{' || !json.Valid(b) {
		return nil
	}
	return b
}
