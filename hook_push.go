package lambda

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// MaxHookBody bounds a webhook delivery's body (GitHub caps its payloads
// at 25 MB; a push's is far smaller).
const MaxHookBody = 5 << 20

// SignaturePrefix starts a GitHub X-Hub-Signature-256 value.
const SignaturePrefix = "sha256="

// Sign returns the X-Hub-Signature-256 value of body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return SignaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks header, an X-Hub-Signature-256 value, against
// body: EUNAUTHORIZED when it is missing, EFORBIDDEN when it is malformed
// or does not match. The comparison takes the same time whatever the
// signature's bytes.
func VerifySignature(secret, body []byte, header string) error {
	sig, err := ParseSignature(header)
	if err != nil {
		return err
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	if !hmac.Equal(sig, m.Sum(nil)) {
		return Errorf(EFORBIDDEN, "the X-Hub-Signature-256 does not match the body: sign it with the hook's secret")
	}
	return nil
}

// ParseSignature decodes an X-Hub-Signature-256 value, "sha256=" and 64
// hex digits.
func ParseSignature(header string) ([]byte, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return nil, Errorf(EUNAUTHORIZED, "the delivery has no X-Hub-Signature-256 header: set the hook's secret in the sender")
	}
	hexSig, ok := strings.CutPrefix(header, SignaturePrefix)
	if !ok || len(hexSig) != 2*sha256.Size {
		return nil, Errorf(EFORBIDDEN, "the X-Hub-Signature-256 header is not sha256= and 64 hex digits")
	}
	sig, err := hex.DecodeString(hexSig)
	if err != nil {
		return nil, Errorf(EFORBIDDEN, "the X-Hub-Signature-256 header is not sha256= and 64 hex digits")
	}
	return sig, nil
}

// Push is what a push event says, as far as a deploy needs it.
type Push struct {
	Ref     string // refs/heads/BRANCH
	After   string // the commit the ref now points at
	Deleted bool   // the push deleted the ref
}

// Branch returns the branch pushed to, "" for a tag or other ref.
func (p *Push) Branch() string {
	b, _ := strings.CutPrefix(p.Ref, "refs/heads/")
	if b == p.Ref {
		return ""
	}
	return b
}

// ParsePush reads a GitHub (or Gitea, GitLab-compatible) push payload:
// EINVALID when it is not JSON with a ref and, unless the ref was
// deleted, a full commit SHA in after.
func ParsePush(body []byte) (*Push, error) {
	var raw struct {
		Ref     string `json:"ref"`
		After   string `json:"after"`
		Deleted bool   `json:"deleted"`
	}
	if c := bytes.TrimSpace(body); len(c) == 0 || c[0] != '{' {
		return nil, Errorf(EINVALID, "the push payload is not a JSON object: send the hook as application/json")
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, Errorf(EINVALID, "the push payload is not valid JSON: %v", err)
	}
	if raw.Ref == "" || len(raw.Ref) > 255 || !strings.HasPrefix(raw.Ref, "refs/") {
		return nil, Errorf(EINVALID, "the push payload has no ref like refs/heads/main")
	}
	p := &Push{Ref: raw.Ref, After: strings.ToLower(raw.After), Deleted: raw.Deleted || strings.Trim(raw.After, "0") == ""}
	if !p.Deleted && !isSHA(p.After) {
		return nil, Errorf(EINVALID, "the push payload's after %.50q is not a commit SHA", raw.After)
	}
	return p, nil
}

func isSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
