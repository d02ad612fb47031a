package sdk

import (
	"bytes"
	"encoding/json"
)

// Response is an HTTP response a handler returns to control the status,
// headers and body of its answer to an HTTP request. Anything else a
// handler returns is sent as a 200 JSON body. For a direct invocation a
// Response is just a JSON object like any other result.
type Response struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders,omitempty"`
	// Cookies become Set-Cookie headers.
	Cookies []string `json:"cookies,omitempty"`
	// Body is sent as is, or base64-decoded first when IsBase64Encoded.
	Body            string `json:"body"`
	IsBase64Encoded bool   `json:"isBase64Encoded,omitempty"`
}

// JSONResponse returns a Response with v encoded as its JSON body.
func JSONResponse(statusCode int, v any) (Response, error) {
	body, err := encodeJSON(v)
	if err != nil {
		return Response{}, err
	}
	return Response{
		StatusCode: statusCode,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	}, nil
}

// encodeJSON is json.Marshal without HTML escaping, which would only make
// results harder to read.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
