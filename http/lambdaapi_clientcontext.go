package http

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/lambdahq/lambda"
)

// amzClientContext is the Invoke API's ClientContext: base64 of a JSON
// object about the caller, which Lambda hands to the function's context
// (context.client_context, context.clientContext, lambdacontext).
const amzClientContext = "X-Amz-Client-Context"

// maxClientContextBytes is Lambda's limit on the header, base64 included.
const maxClientContextBytes = 3583

// errBadClientContext marks a client context Lambda refuses with
// InvalidRequestContentException.
var errBadClientContext = errors.New("bad client context")

// badClientContext is Lambda's message for it.
const badClientContext = "Client context must be a valid Base64-encoded JSON object."

// parseClientContext checks the header as Lambda does and returns the
// JSON object it holds, compact and with every non-ASCII character
// escaped: a header carries it to the instance and on to the runtime, and
// the runtimes' HTTP clients read header bytes over 0x7f as Latin-1.
// The object is the same JSON value the caller encoded. "" when absent.
func parseClientContext(h http.Header) (string, error) {
	v := h.Get(amzClientContext)
	if v == "" {
		return "", nil
	}
	bad := func(detail string) error {
		return &lambda.Error{Code: lambda.EINVALID, Err: errBadClientContext,
			Message: badClientContext + " (" + amzClientContext + ": " + detail + ")"}
	}
	if len(v) > maxClientContextBytes {
		return "", bad("it is " + strconv.Itoa(len(v)) + " bytes, over the limit of " + strconv.Itoa(maxClientContextBytes) + " once encoded")
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		// Some clients leave the padding out; Lambda's decoder is not
		// known to mind, and nothing is lost.
		if raw, err = base64.RawStdEncoding.DecodeString(v); err != nil {
			return "", bad("not base64")
		}
	}
	raw = bytes.TrimSpace(raw)
	switch {
	case !json.Valid(raw):
		return "", bad("the decoded bytes are not JSON")
	case !utf8.Valid(raw):
		return "", bad("the decoded JSON is not UTF-8")
	case raw[0] != '{':
		// The runtimes read an object (client, custom, env); Python's and
		// Go's fail the invocation on anything else.
		return "", bad("the decoded JSON is not an object")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return "", bad("the decoded bytes are not JSON")
	}
	return asciiJSON(compact.Bytes()), nil
}

// asciiJSON escapes every byte of compact JSON that may not go into a
// header as is: non-ASCII characters (valid JSON holds them only in
// strings, where \uXXXX means the same) and DEL. JSON strings hold no
// other control characters.
func asciiJSON(b []byte) string {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, len(b))
	u := func(r rune) {
		out = append(out, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		switch {
		case r < 0x7f:
			out = append(out, byte(r))
		case r > 0xffff: // a surrogate pair, as JSON spells it
			r -= 0x10000
			u(0xd800 + r>>10)
			u(0xdc00 + r&0x3ff)
		default:
			u(r)
		}
	}
	return string(out)
}
