package http

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// countingBody counts what a handler read of a request's body, and the
// largest buffer it read into.
type countingBody struct{ n, max, buf int64 }

func (b *countingBody) Read(p []byte) (int, error) {
	b.buf = max(b.buf, int64(len(p)))
	if b.n >= b.max {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > b.max-b.n {
		n = b.max - b.n
	}
	b.n += n
	return int(n), nil
}

// TestSigV4RefusedBeforeTheBody: a SigV4 request whose header, date or
// key is refused is answered without its body being held: read through a
// small buffer and dropped (the client then gets the refusal, not a reset
// connection). The server read (and held) up to 70 MB of a Lambda API
// request before it looked up the access key: four such requests from
// anyone took its memory from 41 MB to 644 MB.
func TestSigV4RefusedBeforeTheBody(t *testing.T) {
	a := newAuthServer()
	k, _ := a.newKey(t, lambda.ScopeAdmin)
	h := stubbedHandler(a.Server)
	now := time.Now().UTC()
	cred := func(id string) string {
		return "AWS4-HMAC-SHA256 Credential=" + id + "/" + now.Format("20060102") + "/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64)
	}
	for _, tt := range []struct {
		name, authorization, date, want string
	}{
		{"unknown key", cred("LKNOPENOPENOPENOPENO"), now.Format(amzDateFormat), "not an active key"},
		{"expired date", cred(k.ID), now.Add(-time.Hour).Format(amzDateFormat), "Signature expired"},
		{"no date", cred(k.ID), "", "X-Amz-Date"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := &countingBody{max: 50 << 20}
			r := httptest.NewRequest("POST", "/2015-03-31/functions", body)
			r.RemoteAddr = "192.0.2.7:1234"
			r.Header.Set("Authorization", tt.authorization)
			if tt.date != "" {
				r.Header.Set("X-Amz-Date", tt.date)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code == 299 || !strings.Contains(w.Body.String(), tt.want) {
				t.Errorf("%d %s, want a refusal saying %q", w.Code, w.Body, tt.want)
			}
			if body.buf > 64<<10 {
				t.Errorf("the body was read into a buffer of %d bytes before the refusal, not dropped", body.buf)
			}
		})
	}
}
