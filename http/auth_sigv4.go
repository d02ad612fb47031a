package http

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// sigV4Key authenticates a SigV4-signed Invoke API request: access key ID
// = the key's ID, secret access key = its secret. The signature covers the
// payload, so the body is read here (bounded as the handler bounds it) and
// put back for the handler — only once the header, its date and its key
// passed: a request from anyone made the server hold up to 70 MB.
func (s *Server) sigV4Key(w http.ResponseWriter, r *http.Request) (*lambda.Key, error) {
	if s.Keys == nil {
		return nil, lambda.Errorf(lambda.EUNAUTHORIZED, "this server has no key store: no key is valid")
	}
	max := int64(lambda.MaxPayloadBytes)
	if !strings.HasSuffix(r.URL.Path, "/invocations") {
		// The other operations carry code: a zip of up to 50 MB, in base64.
		max = awsMaxRequestBytes
	}
	now := time.Now()
	a, key, secret, err := checkSigV4(r, "", now, keySecretsLookup(s.Keys, s.Secrets))
	if err != nil {
		discardBody(w, r, s.BodyReadTimeout, max)
		return key, err
	}
	body, err := readSignedBody(w, r, s.BodyReadTimeout, max)
	if err != nil {
		return nil, err
	}
	return a.verifyPayload(r, body, key, secret)
}

// discardBody reads and drops a refused request's body, never holding
// it: a client sends the whole body before it reads the answer, and one
// closed under it gets a reset connection instead of the refusal.
func discardBody(w http.ResponseWriter, r *http.Request, timeout time.Duration, max int64) {
	if r.ContentLength > max {
		return // refused as too large by its length alone; net/http closes
	}
	clear := readDeadline(w, timeout)
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, max))
	clear()
}
