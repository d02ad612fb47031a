package http

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/lambdahq/lambda"
)

// sigV4Keys is a key store for the tests: ID → key and secret.
type sigV4Keys map[string]struct {
	key    *lambda.Key
	secret string
}

func (ks sigV4Keys) lookup(_ context.Context, id string) (*lambda.Key, string, error) {
	e, ok := ks[id]
	if !ok {
		return nil, "", lambda.Errorf(lambda.ENOTFOUND, "key %s not found", id)
	}
	return e.key, e.secret, nil
}

func testSigV4Keys(now time.Time) sigV4Keys {
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	return sigV4Keys{
		"LKGOODGOODGOODGOOD00": {&lambda.Key{ID: "LKGOODGOODGOODGOOD00", Scope: lambda.ScopeInvoke, ExpiresAt: &future}, "lmb_good-secret"},
		"LKREVOKEDREVOKED0000": {&lambda.Key{ID: "LKREVOKEDREVOKED0000", Scope: lambda.ScopeInvoke, RevokedAt: &past}, "lmb_revoked-secret"},
		"LKEXPIREDEXPIRED0000": {&lambda.Key{ID: "LKEXPIREDEXPIRED0000", Scope: lambda.ScopeInvoke, ExpiresAt: &past}, "lmb_expired-secret"},
	}
}

// signed is a request as a client would send it, signed by the real
// aws-sdk-go-v2 signer.
type signed struct {
	id, secret, region, service string
	at                          time.Time
	path, query                 string
	body                        string
	header                      http.Header
}

func (s signed) request(t *testing.T, base string) *http.Request {
	t.Helper()
	path := s.path
	if path == "" {
		path = "/2015-03-31/functions/greet/invocations"
	}
	u := base + path
	if s.query != "" {
		u += "?" + s.query
	}
	req, err := http.NewRequest("POST", u, strings.NewReader(s.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range s.header {
		req.Header[k] = vs
	}
	sum := sha256.Sum256([]byte(s.body))
	creds := aws.Credentials{AccessKeyID: s.id, SecretAccessKey: s.secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), s.service, s.region, s.at); err != nil {
		t.Fatal(err)
	}
	return req
}

func goodSigned(now time.Time) signed {
	return signed{id: "LKGOODGOODGOODGOOD00", secret: "lmb_good-secret", region: "us-east-1", service: "lambda", at: now, body: `{"name":"World"}`,
		header: http.Header{"Content-Type": {"application/json"}, "X-Amz-Invocation-Type": {"RequestResponse"}}}
}

// verifyOverHTTP sends req to a server that verifies it and reports what
// verifySigV4 returned, so that the request is checked as net/http
// delivers it (Host, Content-Length and the body moved out of the header).
func verifyOverHTTP(t *testing.T, now time.Time, keys sigV4Keys, tamper func(*http.Request)) (*lambda.Key, error) {
	t.Helper()
	type result struct {
		key *lambda.Key
		err error
	}
	got := make(chan result, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readSignedBody(w, r, time.Second, lambda.MaxPayloadBytes)
		if err == nil {
			var k *lambda.Key
			k, err = verifySigV4(r, body, "", now, keys.lookup)
			got <- result{k, err}
		} else {
			got <- result{nil, err}
		}
	}))
	defer srv.Close()
	req := goodSigned(now).request(t, srv.URL)
	if tamper != nil {
		tamper(req)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r := <-got
	return r.key, r.err
}

func TestVerifySigV4(t *testing.T) {
	now := time.Date(2026, 12, 5, 17, 0, 0, 0, time.UTC)
	keys := testSigV4Keys(now)
	resign := func(change func(*signed)) func(*http.Request) {
		return func(req *http.Request) {
			s := goodSigned(now)
			change(&s)
			base := req.URL.Scheme + "://" + req.URL.Host
			*req = *s.request(t, base)
		}
	}
	tests := []struct {
		name   string
		tamper func(*http.Request)
		want   error // nil: accepted
		msg    string
	}{
		{"signed by the SDK", nil, nil, ""},
		{"an ARN, a qualifier and odd query characters", resign(func(s *signed) {
			s.path = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Agreet/invocations"
			s.query = "Qualifier=%24LATEST&b=a%20b&a-b=1&a=2&a=1"
		}), nil, ""},
		{"repeated header values and inner spaces", resign(func(s *signed) {
			s.header.Set("X-Amz-Client-Context", "  a   b  ")
			s.header.Add("X-Amz-Meta", "1")
			s.header.Add("X-Amz-Meta", "2")
		}), nil, ""},
		{"empty body", resign(func(s *signed) { s.body = "" }), nil, ""},
		{"another region", resign(func(s *signed) { s.region = "eu-west-3" }), nil, ""},
		{"wrong secret", resign(func(s *signed) { s.secret = "lmb_wrong" }), errInvalidSignature, "signature we calculated does not match"},
		{"unknown key", resign(func(s *signed) { s.id = "LKNOSUCHKEYNOSUCH000" }), errUnrecognizedClient, "not an active key"},
		{"revoked key", resign(func(s *signed) { s.id, s.secret = "LKREVOKEDREVOKED0000", "lmb_revoked-secret" }), errUnrecognizedClient, "not an active key"},
		{"expired key", resign(func(s *signed) { s.id, s.secret = "LKEXPIREDEXPIRED0000", "lmb_expired-secret" }), errUnrecognizedClient, "not an active key"},
		{"16 minutes old", resign(func(s *signed) { s.at = now.Add(-16 * time.Minute) }), errInvalidSignature, "Signature expired"},
		{"16 minutes ahead", resign(func(s *signed) { s.at = now.Add(16 * time.Minute) }), errInvalidSignature, "Signature expired"},
		{"14 minutes old", resign(func(s *signed) { s.at = now.Add(-14 * time.Minute) }), nil, ""},
		{"bad region", resign(func(s *signed) { s.region = "US_EAST" }), errInvalidSignature, "region"},
		{"another service", resign(func(s *signed) { s.service = "s3" }), errInvalidSignature, `service "s3"`},
		{"body changed", func(r *http.Request) {
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(`{"name":"Evil!"}`)), 16
		}, errInvalidSignature, "does not match"},
		{"signed header changed", func(r *http.Request) { r.Header.Set("X-Amz-Invocation-Type", "DryRun") }, errInvalidSignature, "does not match"},
		{"path changed", func(r *http.Request) { r.URL.Path = "/2015-03-31/functions/other/invocations" }, errInvalidSignature, "does not match"},
		{"query added", func(r *http.Request) { r.URL.RawQuery = "Qualifier=2" }, errInvalidSignature, "does not match"},
		{"host changed", func(r *http.Request) { r.Host = "evil.example.com" }, errInvalidSignature, "does not match"},
		{"date changed", func(r *http.Request) { r.Header.Set("X-Amz-Date", now.Add(time.Minute).Format(amzDateFormat)) }, errInvalidSignature, "does not match"},
		{"date missing", func(r *http.Request) { r.Header.Del("X-Amz-Date") }, errInvalidSignature, "X-Amz-Date"},
		{"scope date not the request's", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20261205/", "/20261204/", 1))
		}, errInvalidSignature, "scope date"},
		{"host not signed", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "SignedHeaders=content-length;content-type;host;", "SignedHeaders=content-length;content-type;", 1))
		}, errInvalidSignature, "host header must be signed"},
		{"content hash mismatch", func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", strings.Repeat("0", 64))
		}, errInvalidSignature, "X-Amz-Content-Sha256"},
		{"signature bit flipped", func(r *http.Request) {
			a := r.Header.Get("Authorization")
			last := a[len(a)-1]
			flip := byte('0')
			if last == '0' {
				flip = '1'
			}
			r.Header.Set("Authorization", a[:len(a)-1]+string(flip))
		}, errInvalidSignature, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := verifyOverHTTP(t, now, keys, tt.tamper)
			if tt.want == nil {
				if err != nil || key == nil || key.ID != "LKGOODGOODGOODGOOD00" {
					t.Fatalf("refused: %v (key %v)", err, key)
				}
				return
			}
			if !errors.Is(err, tt.want) || lambda.ErrorCode(err) != lambda.EUNAUTHORIZED || !strings.Contains(lambda.ErrorMessage(err), tt.msg) {
				t.Fatalf("got key %v, err %v (%s); want %v mentioning %q", key, err, lambda.ErrorCode(err), tt.want, tt.msg)
			}
			// The claimed ID comes back for the failure's log line, alone.
			if key == nil || !strings.HasPrefix(key.ID, "LK") || key.Scope != "" {
				t.Errorf("refusal's key = %+v, want only the claimed ID", key)
			}
		})
	}
}

func TestParseSigV4(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	tests := []struct {
		header string
		ok     bool
	}{
		{"AWS4-HMAC-SHA256 Credential=LKA/20261205/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig, true},
		{"AWS4-HMAC-SHA256 Credential=LKA/20261205/us-east-1/lambda/aws4_request,SignedHeaders=host;x-amz-date,Signature=" + sig, true},
		{"", false},
		{"AWS4-HMAC-SHA256", false},
		{"AWS4-HMAC-SHA256 ", false},
		{"Bearer lmb_x", false},
		{"AWS4-HMAC-SHA256 Credential=LKA/20261205/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date", false},
		{"AWS4-HMAC-SHA256 Credential=LKA/20261205/us-east-1/lambda, SignedHeaders=host, Signature=" + sig, false},
		{"AWS4-HMAC-SHA256 Credential=/20261205/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=" + sig, false},
		{"AWS4-HMAC-SHA256 Credential=LKA/20261205/us-east-1/lambda/aws4_request, SignedHeaders=x-amz-date;host, Signature=" + sig, false},
		{"AWS4-HMAC-SHA256 Credential=LKA/20261205/us-east-1/lambda/aws4_request, SignedHeaders=Host, Signature=" + sig, false},
		{"AWS4-HMAC-SHA256 Credential=LKA/20261205/us-east-1/lambda/aws4_request, SignedHeaders=host;;x, Signature=" + sig, false},
		{"AWS4-HMAC-SHA256 Credential=LKA/20261205/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=zz", false},
		{"AWS4-HMAC-SHA256 Credential=LKA/20261205/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=" + sig + ", Signature=" + sig, false},
		{"AWS4-HMAC-SHA256 Credential=LKA/20261205/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=" + sig + ", Extra=1", false},
		{"AWS4-HMAC-SHA256 Credential=LKA/20261205/us-east-1/lambda/aws4_request SignedHeaders=host Signature=" + sig, false},
		{"AWS4-HMAC-SHA256 Credential=LKA/20261205/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("a", 1<<20), false},
	}
	for _, tt := range tests {
		a, err := parseSigV4(tt.header)
		if (err == nil) != tt.ok {
			t.Errorf("parseSigV4(%.120q) = %+v, %v; want ok %v", tt.header, a, err, tt.ok)
		}
		if err != nil && (!errors.Is(err, errInvalidSignature) || len(lambda.ErrorMessage(err)) > 300) {
			t.Errorf("parseSigV4(%.120q): error %q is not a short InvalidSignature", tt.header, lambda.ErrorMessage(err))
		}
	}
}

func FuzzParseSigV4(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=LKA/20261205/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("ab", 32))
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request,SignedHeaders=a,Signature=00")
	f.Add("AWS4-HMAC-SHA256 ,,,==")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseSigV4(h)
		if err != nil {
			if !errors.Is(err, errInvalidSignature) || len(lambda.ErrorMessage(err)) > 400 {
				t.Fatalf("error %q: not a short InvalidSignature", lambda.ErrorMessage(err))
			}
			return
		}
		if a.keyID == "" || len(a.signature) != sha256.Size || len(a.signedHeaders) == 0 || strings.Contains(a.keyID, "/") {
			t.Fatalf("accepted an incomplete header %q: %+v", h, a)
		}
		for i := 1; i < len(a.signedHeaders); i++ {
			if a.signedHeaders[i] <= a.signedHeaders[i-1] {
				t.Fatalf("signed headers not sorted: %q", a.signedHeaders)
			}
		}
	})
}

// TestSigV4LambdaErrors checks what the real SDK client makes of the
// server's refusals: Lambda's exception names and 403.
func TestSigV4LambdaErrors(t *testing.T) {
	s := &Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	keys := testSigV4Keys(time.Now())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readSignedBody(w, r, time.Second, lambda.MaxPayloadBytes)
		if err == nil {
			_, err = verifySigV4(r, body, "", time.Now(), keys.lookup)
		}
		if err != nil {
			s.writeLambdaAuthError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	invoke := func(id, secret string) error {
		c := awslambda.New(awslambda.Options{
			BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
			HTTPClient:  srv.Client(),
		})
		out, err := c.Invoke(context.Background(), &awslambda.InvokeInput{FunctionName: aws.String("greet"), Payload: []byte(`{"a":1}`)})
		if err == nil && !bytes.Equal(out.Payload, []byte(`{"a":1}`)) {
			return errors.New("payload not echoed: " + string(out.Payload))
		}
		return err
	}
	if err := invoke("LKGOODGOODGOODGOOD00", "lmb_good-secret"); err != nil {
		t.Fatalf("right secret: %v", err)
	}
	for _, tt := range []struct{ id, secret, code string }{
		{"LKGOODGOODGOODGOOD00", "lmb_wrong", "InvalidSignatureException"},
		{"LKNOSUCHKEYNOSUCH000", "lmb_good-secret", "UnrecognizedClientException"},
		{"LKREVOKEDREVOKED0000", "lmb_revoked-secret", "UnrecognizedClientException"},
	} {
		err := invoke(tt.id, tt.secret)
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.code {
			t.Errorf("%s with %s: %v; want %s", tt.id, tt.secret, err, tt.code)
		}
		var re interface{ HTTPStatusCode() int }
		if !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
			t.Errorf("%s: status is not 403: %v", tt.id, err)
		}
	}
}
