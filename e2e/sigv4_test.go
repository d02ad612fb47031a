package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestSigV4BadInput sends Invoke API requests signed by the SDK's signer
// but wrong in one way each: every one gets a clear 403 in Lambda's
// format, and the server keeps serving. It runs on a server of its own:
// the failures count against the address (429 past a limit), which must
// not slow the shared server's tests.
func TestSigV4BadInput(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t)
	var key struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(s.mustLambda("keys", "create", "sigv4", "--scope", "invoke", "-o", "json").stdout), &key); err != nil || key.Secret == "" {
		t.Fatalf("keys create -o json: %v %+v", err, key)
	}
	fn := fnName(t, "nosuch") // never deployed: a request that passes authentication gets 404
	send := func(secret, region, service string, at time.Time, tamper func(*http.Request)) (*http.Response, string) {
		t.Helper()
		body := []byte(`{"a":1}`)
		req, err := http.NewRequest("POST", s.url("/2015-03-31/functions/"+fn+"/invocations"), bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: secret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, region, at); err != nil {
			t.Fatal(err)
		}
		if tamper != nil {
			tamper(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("the server stopped answering: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	now := time.Now()
	for _, tt := range []struct {
		name, secret, region, service string
		at                            time.Time
		tamper                        func(*http.Request)
		exception, message            string
	}{
		{"20 minutes old", key.Secret, "us-east-1", "lambda", now.Add(-20 * time.Minute), nil, "InvalidSignatureException", "Signature expired"},
		{"20 minutes ahead", key.Secret, "us-east-1", "lambda", now.Add(20 * time.Minute), nil, "InvalidSignatureException", "Signature expired"},
		{"bad region", key.Secret, "Bad_Region", "lambda", now, nil, "InvalidSignatureException", `region \"Bad_Region\"`},
		{"another service", key.Secret, "us-east-1", "s3", now, nil, "InvalidSignatureException", `service \"s3\"`},
		{"wrong secret", key.Secret + "x", "us-east-1", "lambda", now, nil, "InvalidSignatureException", "does not match"},
		{"payload changed", key.Secret, "us-east-1", "lambda", now, func(r *http.Request) {
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(`{"a":2}`)), 7
		}, "InvalidSignatureException", "does not match"},
		{"malformed date", key.Secret, "us-east-1", "lambda", now, func(r *http.Request) { r.Header.Set("X-Amz-Date", "yesterday") }, "InvalidSignatureException", "X-Amz-Date"},
		{"malformed header", key.Secret, "us-east-1", "lambda", now, func(r *http.Request) {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key.ID+"/x, Signature=zz")
		}, "InvalidSignatureException", "malformed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := send(tt.secret, tt.region, tt.service, tt.at, tt.tamper)
			if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != tt.exception || !strings.Contains(body, tt.message) {
				t.Errorf("%d %s %s; want 403 %s mentioning %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body, tt.exception, tt.message)
			}
		})
	}
	// Still serving, and a good signature passes (to the function's 404).
	if resp, body := send(key.Secret, "us-east-1", "lambda", time.Now(), nil); resp.StatusCode != 404 || resp.Header.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
		t.Errorf("a good signature after the bad ones: %d %s", resp.StatusCode, body)
	}
	logged := false
	for _, line := range strings.Split(s.logs.String(), "\n") {
		logged = logged || strings.Contains(line, "authentication failed") && strings.Contains(line, "key="+key.ID)
	}
	if !logged {
		t.Errorf("the failures are not logged with the key ID %s", key.ID)
	}
}
