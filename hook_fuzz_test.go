package lambda_test

import (
	"encoding/hex"
	"testing"

	"github.com/lambdahq/lambda"
)

// FuzzHookDelivery feeds untrusted push payloads and signature headers to
// the parsers a webhook runs before anything else: they never panic, a
// parsed push is well formed, and a signature verifies only when it is the
// body's own.
func FuzzHookDelivery(f *testing.F) {
	secret := []byte("0123456789abcdef")
	body := []byte(`{"ref":"refs/heads/main","after":"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"}`)
	f.Add(body, lambda.Sign(secret, body))
	f.Add([]byte(`{"ref":"refs/heads/main","after":"0000000000000000000000000000000000000000","deleted":true}`), "sha256=")
	f.Add([]byte(`{"ref":1}`), "sha256=zz")
	f.Add([]byte(`[]`), "")
	f.Fuzz(func(t *testing.T, body []byte, sig string) {
		if p, err := lambda.ParsePush(body); err == nil {
			if p.Ref == "" || (!p.Deleted && len(p.After) != 40 && len(p.After) != 64) {
				t.Fatalf("ParsePush accepted %+v", p)
			}
		} else if lambda.ErrorCode(err) != lambda.EINVALID {
			t.Fatalf("ParsePush error %v is not EINVALID", err)
		}
		err := lambda.VerifySignature(secret, body, sig)
		if err == nil {
			// Only the body's own signature passes (surrounding space aside).
			if s, _ := lambda.ParseSignature(sig); lambda.SignaturePrefix+hex.EncodeToString(s) != lambda.Sign(secret, body) {
				t.Fatalf("signature %q verified", sig)
			}
		}
		if err != nil && lambda.ErrorCode(err) != lambda.EUNAUTHORIZED && lambda.ErrorCode(err) != lambda.EFORBIDDEN {
			t.Fatalf("VerifySignature error %v", err)
		}
	})
}
