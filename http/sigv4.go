package http

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// AWS Signature Version 4, verified on the Lambda Invoke API so that the
// AWS SDKs and the aws CLI work with a key's ID as the access key ID and its
// secret as the secret access key. The canonical request is rebuilt exactly
// as aws-sdk-go-v2 and botocore build it (the tests sign with the real SDK).
const (
	sigV4Algorithm = "AWS4-HMAC-SHA256"
	sigV4Service   = "lambda"
	sigV4Terminal  = "aws4_request"
	amzDateFormat  = "20060102T150405Z"
	// sigV4MaxSkew is how far a request's date may be from the server's
	// clock, as AWS allows: a captured request cannot be replayed later.
	sigV4MaxSkew = 15 * time.Minute
)

// Why a signature is refused. Both are 403 on the Invoke API, named as
// Lambda names them (see sigV4Outcome); elsewhere they are 401.
var (
	errInvalidSignature   = errors.New("InvalidSignatureException")
	errUnrecognizedClient = errors.New("UnrecognizedClientException")
)

func invalidSignature(format string, args ...any) error {
	return &lambda.Error{Code: lambda.EUNAUTHORIZED, Message: fmt.Sprintf(format, args...), Err: errInvalidSignature}
}

// sigV4Auth is a parsed Authorization header:
// AWS4-HMAC-SHA256 Credential=ID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=HEX
type sigV4Auth struct {
	keyID, date, region, service string
	signedHeaders                []string
	signature                    []byte
}

func (a *sigV4Auth) scope() string {
	return a.date + "/" + a.region + "/" + a.service + "/" + sigV4Terminal
}

// isSigV4 reports whether an Authorization header asks for SigV4.
func isSigV4(authorization string) bool {
	return strings.HasPrefix(authorization, sigV4Algorithm+" ")
}

// parseSigV4 reads an Authorization header. It never panics and bounds
// nothing itself: the header size is bounded by the server.
func parseSigV4(h string) (*sigV4Auth, error) {
	rest, ok := strings.CutPrefix(h, sigV4Algorithm+" ")
	if !ok {
		return nil, invalidSignature("the Authorization header must start with %s", sigV4Algorithm)
	}
	var a sigV4Auth
	seen := map[string]bool{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || seen[k] {
			return nil, invalidSignature("the Authorization header is malformed near %q: expected Credential=..., SignedHeaders=..., Signature=...", clip(part))
		}
		seen[k] = true
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[0] == "" || f[4] != sigV4Terminal {
				return nil, invalidSignature("the credential %q is malformed: expected ACCESS_KEY_ID/YYYYMMDD/REGION/lambda/aws4_request", clip(v))
			}
			a.keyID, a.date, a.region, a.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			if v == "" {
				return nil, invalidSignature("SignedHeaders is empty: sign at least host and x-amz-date")
			}
			a.signedHeaders = strings.Split(v, ";")
			for i, name := range a.signedHeaders {
				if name == "" || name != strings.ToLower(name) || (i > 0 && name <= a.signedHeaders[i-1]) {
					return nil, invalidSignature("SignedHeaders %q must be lower-case header names, sorted, separated by ;", clip(v))
				}
			}
		case "Signature":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return nil, invalidSignature("the signature must be %d hexadecimal characters", 2*sha256.Size)
			}
			a.signature = sig
		default:
			return nil, invalidSignature("the Authorization header has an unknown field %q", clip(k))
		}
	}
	if a.keyID == "" || a.signedHeaders == nil || a.signature == nil {
		return nil, invalidSignature("the Authorization header needs Credential, SignedHeaders and Signature")
	}
	return &a, nil
}

// clip keeps what an error quotes of the client's input short.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// sigV4Secret returns the key of access key ID id and its secret; an error
// with code ENOTFOUND when there is no such key.
type sigV4Secret func(ctx context.Context, id string) (*lambda.Key, string, error)

// verifySigV4 checks r's signature over body (the whole payload, already
// read) and returns the key that signed it. region, when not empty, is
// the only region accepted; now is the server's clock.
//
// A refusal after the header parsed comes with a key holding only the
// claimed access key ID, for the failure's log line; nothing else may use
// it.
func verifySigV4(r *http.Request, body []byte, region string, now time.Time, secretFor sigV4Secret) (*lambda.Key, error) {
	a, key, secret, err := checkSigV4(r, region, now, secretFor)
	if err != nil {
		return key, err
	}
	return a.verifyPayload(r, body, key, secret)
}

// checkSigV4 checks what of r's signature can be checked before its body
// is read: the header, the scope, the date and that the access key is an
// active key of this server. A request failing these is refused before
// the server reads (and holds) a body of up to 70 MB for it. The key it
// returns on a refusal holds only the claimed ID, as verifySigV4's.
func checkSigV4(r *http.Request, region string, now time.Time, secretFor sigV4Secret) (*sigV4Auth, *lambda.Key, string, error) {
	a, err := parseSigV4(r.Header.Get("Authorization"))
	if err != nil {
		return nil, nil, "", err
	}
	key, secret, err := a.check(r, region, now, secretFor)
	if err != nil {
		return nil, &lambda.Key{ID: clip(a.keyID)}, "", err
	}
	return a, key, secret, nil
}

func (a *sigV4Auth) check(r *http.Request, region string, now time.Time, secretFor sigV4Secret) (*lambda.Key, string, error) {
	if a.service != sigV4Service {
		return nil, "", invalidSignature("the credential scope names service %q: sign for service %q", clip(a.service), sigV4Service)
	}
	if !validRegion(a.region) || (region != "" && a.region != region) {
		want := "a region such as us-east-1"
		if region != "" {
			want = "region " + region
		}
		return nil, "", invalidSignature("the credential scope names region %q: sign for %s", clip(a.region), want)
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return nil, "", invalidSignature("X-Amz-Date %q is missing or malformed: expected a UTC time like %s", clip(amzDate), now.UTC().Format(amzDateFormat))
	}
	if a.date != t.Format("20060102") {
		return nil, "", invalidSignature("the credential scope date %q is not the date of X-Amz-Date %s", clip(a.date), amzDate)
	}
	if skew := now.Sub(t); skew > sigV4MaxSkew || skew < -sigV4MaxSkew {
		return nil, "", invalidSignature("Signature expired: %s is now earlier than %s or later than %s; check the client's clock",
			amzDate, now.Add(-sigV4MaxSkew).UTC().Format(amzDateFormat), now.Add(sigV4MaxSkew).UTC().Format(amzDateFormat))
	}
	for _, required := range []string{"host", "x-amz-date"} {
		if _, found := sort.Find(len(a.signedHeaders), func(i int) int { return strings.Compare(required, a.signedHeaders[i]) }); !found {
			return nil, "", invalidSignature("the %s header must be signed (SignedHeaders is %s)", required, clip(strings.Join(a.signedHeaders, ";")))
		}
	}
	key, secret, err := secretFor(r.Context(), a.keyID)
	if lambda.ErrorCode(err) == lambda.ENOTFOUND || (err == nil && !key.Active(now)) {
		return nil, "", &lambda.Error{Code: lambda.EUNAUTHORIZED, Err: errUnrecognizedClient,
			Message: fmt.Sprintf("The security token included in the request is invalid: access key ID %q is not an active key of this server (unknown, revoked or expired); create one with `lambda keys create`", clip(a.keyID))}
	}
	if err != nil {
		return nil, "", err
	}
	return key, secret, nil
}

// verifyPayload checks the signature over r and its body, once check
// passed; on a refusal the key holds only the claimed ID.
func (a *sigV4Auth) verifyPayload(r *http.Request, body []byte, key *lambda.Key, secret string) (*lambda.Key, error) {
	refused := &lambda.Key{ID: clip(a.keyID)}
	payloadHash := sha256.Sum256(body)
	hexHash := hex.EncodeToString(payloadHash[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != hexHash {
		return refused, invalidSignature("X-Amz-Content-Sha256 does not match the payload: the body was changed or cut in transit")
	}
	amzDate := r.Header.Get("X-Amz-Date")
	canonical := canonicalRequest(r, a.signedHeaders, hexHash)
	crHash := sha256.Sum256([]byte(canonical))
	stringToSign := sigV4Algorithm + "\n" + amzDate + "\n" + a.scope() + "\n" + hex.EncodeToString(crHash[:])
	want := hmacSHA256(signingKey(secret, a.date, a.region, a.service), stringToSign)
	if !hmac.Equal(want, a.signature) {
		return refused, invalidSignature("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key (the key's secret, lmb_...) and signing method.")
	}
	return key, nil
}

// validRegion accepts names like us-east-1 or local: lower-case letters,
// digits and dashes.
func validRegion(r string) bool {
	if r == "" || len(r) > 32 || r[0] == '-' {
		return false
	}
	for _, c := range r {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// canonicalRequest is the canonical form of r as the client signed it:
// method, path escaped once more (as for every service but S3), the query
// sorted after encoding, the signed headers with their trimmed values,
// their names, and the payload's hash.
func canonicalRequest(r *http.Request, signedHeaders []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(awsEscape(path, false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.Query()))
	b.WriteByte('\n')
	for _, name := range signedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// headerValue is a signed header's canonical value. net/http moves Host,
// Content-Length and Transfer-Encoding out of r.Header, so those come
// from the request's own fields.
func headerValue(r *http.Request, name string) string {
	var values []string
	switch name {
	case "host":
		values = []string{r.Host}
	case "content-length":
		if r.ContentLength >= 0 {
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	case "transfer-encoding":
		values = r.TransferEncoding
	default:
		values = r.Header.Values(name)
	}
	trimmed := make([]string, len(values)) // values may be r.Header's own slice
	for i, v := range values {
		trimmed[i] = collapseSpaces(v)
	}
	return strings.Join(trimmed, ",")
}

// collapseSpaces trims a value and turns each run of spaces into one, as
// the SDKs do (tabs are left alone, as they leave them).
func collapseSpaces(v string) string {
	v = strings.TrimSpace(v)
	for strings.Contains(v, "  ") {
		v = strings.ReplaceAll(v, "  ", " ")
	}
	return v
}

// canonicalQuery encodes each name and value as SigV4 wants (RFC 3986,
// space as %20) and sorts the pairs after encoding.
func canonicalQuery(q url.Values) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(q))
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, pair{awsEscape(k, true), awsEscape(v, true)})
		}
	}
	// By name, then value: sorting "name=value" strings would put "a-b"
	// before "a", as '-' sorts before '='.
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k + "=" + p.v)
	}
	return b.String()
}

// awsEscape percent-encodes every byte but the unreserved ones (and '/'
// unless encodeSlash), with upper-case hex.
func awsEscape(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, sigV4Terminal)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
