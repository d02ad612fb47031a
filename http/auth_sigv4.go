package http

import (
	"net/http"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// sigV4Key authenticates a SigV4-signed Invoke API request: access key ID
// = the key's ID, secret access key = its secret. The signature covers the
// payload, so the body is read here (bounded as the handler bounds it) and
// put back for the handler.
func (s *Server) sigV4Key(w http.ResponseWriter, r *http.Request) (*lambda.Key, error) {
	if s.Keys == nil {
		return nil, lambda.Errorf(lambda.EUNAUTHORIZED, "this server has no key store: no key is valid")
	}
	max := int64(lambda.MaxPayloadBytes)
	if !strings.HasSuffix(r.URL.Path, "/invocations") {
		// The other operations carry code: a zip of up to 50 MB, in base64.
		max = awsMaxRequestBytes
	}
	body, err := readSignedBody(w, r, s.BodyReadTimeout, max)
	if err != nil {
		return nil, err
	}
	return verifySigV4(r, body, "", time.Now(), keySecretsLookup(s.Keys, s.Secrets))
}
