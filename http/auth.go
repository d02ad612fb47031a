package http

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// The middleware chain every non-public route goes through:
// throttling of failing addresses → authentication → authorization →
// handler → audit of writes. Public routes (the gateway, /healthz) skip it
// entirely, so a public function's warm path looks no key up. Outside it
// all, every route but the data path has the access log (accesslog.go).

// maxBearerLen bounds a token worth looking up: a secret is "lmb_" and 43
// characters; anything much longer is garbage, refused before hashing.
const maxBearerLen = 256

// lambdaAPIPrefix is the path of the Lambda Invoke API, which answers
// refusals in Lambda's error format.
const lambdaAPIPrefix = "/2015-03-31/"

// lambdaAPIPrefixes are the paths of every Lambda API operation served
// (awsapi_routes.go): each is dated by the API version that introduced it.
var lambdaAPIPrefixes = []string{lambdaAPIPrefix, "/2017-10-31/", "/2019-09-25/", "/2019-09-30/"}

// isLambdaAPIPath reports whether a request to path is a Lambda API call:
// SigV4-signed, and answered in Lambda's error format.
func isLambdaAPIPath(path string) bool {
	for _, p := range lambdaAPIPrefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// guard wraps a route's handler in the middleware chain its scope needs.
func (s *Server) guard(rt route) http.Handler {
	switch rt.scope {
	case scopePublic:
		return rt.handler
	case scopeMetrics:
		return s.guardMetrics(rt.handler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.authOff {
			rt.handler(w, r)
			return
		}
		addr := clientAddr(r)
		key, err := s.authenticate(w, r)
		if err != nil {
			// Only bad credentials count towards the limit, not a body
			// that was too large or too slow to arrive (SigV4 reads it).
			if lambda.ErrorCode(err) == lambda.EUNAUTHORIZED {
				err = s.authFailed(r, addr, key, err)
			}
			s.deny(w, r, &authFailure{err: err, retryAfter: throttledFor(err)})
			return
		}
		noteKey(r.Context(), key)
		function := functionOf(rt, r)
		if !keyAllows(key, rt.scope, function) {
			err := forbidden(key, rt.scope, function)
			s.Logger.Warn("authorization failed", "addr", addr, "method", r.Method, "path", r.URL.Path, "key", key.ID, "scope", key.Scope, "need", rt.scope, "function", function, requestIDAttr(r.Context()))
			s.deny(w, r, &authFailure{err: err})
			s.audit(r, key, s.refusedEntry(r, rt, function), http.StatusForbidden, lambda.EFORBIDDEN)
			return
		}
		r = r.WithContext(withKey(r.Context(), key))
		if rt.action == "" {
			rt.handler(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		rt.handler(sw, r)
		s.audit(r, key, sw.entry(rt.action, function), sw.code(), sw.Header().Get(ErrorHeader))
	})
}

// authenticate returns the active key of the request's credentials.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*lambda.Key, error) {
	h := r.Header.Values("Authorization")
	if len(h) == 0 {
		return nil, lambda.Errorf(lambda.EUNAUTHORIZED, "this request needs an API key: pass --api-key, set LAMBDA_API_KEY or run `lambda login` (Authorization: Bearer KEY)")
	}
	if len(h) > 1 {
		return nil, lambda.Errorf(lambda.EUNAUTHORIZED, "the request has %d Authorization headers: send one", len(h))
	}
	scheme, cred, _ := strings.Cut(strings.TrimSpace(h[0]), " ")
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return s.bearerKey(r.Context(), strings.TrimSpace(cred))
	case scheme == sigV4Algorithm && w != nil && isLambdaAPIPath(r.URL.Path):
		return s.sigV4Key(w, r)
	default:
		return nil, lambda.Errorf(lambda.EUNAUTHORIZED, "the Authorization header is not \"Bearer KEY\": pass the key's secret (lmb_...) as a Bearer token")
	}
}

func (s *Server) bearerKey(ctx context.Context, secret string) (*lambda.Key, error) {
	if !strings.HasPrefix(secret, lambda.KeySecretPrefix) || len(secret) > maxBearerLen {
		return nil, lambda.Errorf(lambda.EUNAUTHORIZED, "the Bearer token is not an API key: keys start with %q", lambda.KeySecretPrefix)
	}
	if s.Keys == nil {
		return nil, lambda.Errorf(lambda.EUNAUTHORIZED, "this server has no key store: no key is valid")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	k, err := s.Keys.FindKeyByHash(ctx, s.Secrets.Hash(secret))
	switch {
	case lambda.ErrorCode(err) == lambda.ENOTFOUND:
		return nil, lambda.Errorf(lambda.EUNAUTHORIZED, "the API key is not valid: check it, or create one with `lambda keys create`")
	case err != nil:
		return nil, err
	}
	return k, activeKey(k, time.Now())
}

// authFailed counts a failed authentication of addr and logs it; past
// the limit it returns a throttled error (429) instead of err, logged once
// per window. A valid key from the same address still gets through: behind
// a proxy every client shares one address, and a secret is 256 bits, not
// a password to guess.
func (s *Server) authFailed(r *http.Request, addr string, key *lambda.Key, err error) error {
	wait, first := s.failures.add(addr, time.Now())
	if wait == 0 || first {
		s.Logger.Warn("authentication failed", "addr", addr, "method", r.Method, "host", r.Host, "path", r.URL.Path, "key", keyIDOf(key), "err", lambda.ErrorMessage(err), "throttled", wait > 0, requestIDAttr(r.Context()))
	}
	if wait > 0 {
		return &throttled{err: lambda.Errorf(lambda.ETHROTTLED, "too many failed authentications from %s: retry in %s", addr, wait.Round(time.Second)), wait: wait}
	}
	return err
}

// throttled is the error of an address past the failure limit.
type throttled struct {
	err  *lambda.Error
	wait time.Duration
}

func (t *throttled) Error() string { return t.err.Error() }
func (t *throttled) Unwrap() error { return t.err }

func throttledFor(err error) time.Duration {
	if t, ok := err.(*throttled); ok {
		return t.wait
	}
	return 0
}

// activeKey refuses a revoked or expired key.
func activeKey(k *lambda.Key, now time.Time) error {
	switch {
	case k.RevokedAt != nil:
		return lambda.Errorf(lambda.EUNAUTHORIZED, "API key %s was revoked: create a new one with `lambda keys create`", k.ID)
	case !k.Active(now):
		return lambda.Errorf(lambda.EUNAUTHORIZED, "API key %s expired at %s: create a new one with `lambda keys create`", k.ID, k.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

func forbidden(k *lambda.Key, scope, function string) error {
	if function != "" && !k.Covers(function) {
		return lambda.Errorf(lambda.EFORBIDDEN, "API key %s may not act on function %q (it is limited to %s)", k.ID, function, strings.Join(k.Functions, ", "))
	}
	return lambda.Errorf(lambda.EFORBIDDEN, "API key %s has scope %s; this request needs %s", k.ID, k.Scope, scope)
}

// authFailure is a refusal of the middleware.
type authFailure struct {
	retryAfter time.Duration
	err        error
}

// deny answers a refusal: the usual error JSON, or Lambda's format on the
// Invoke API. 401 tells the client how to authenticate.
func (s *Server) deny(w http.ResponseWriter, r *http.Request, f *authFailure) {
	if f.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.retryAfter+time.Second-1)/time.Second)))
	}
	if isLambdaAPIPath(r.URL.Path) {
		s.writeLambdaAuthError(w, r, f.err)
		return
	}
	if lambda.ErrorCode(f.err) == lambda.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="lambda"`)
	}
	writeError(w, r, s.Logger, f.err)
}

// functionOf returns the function a route acts on, "" for none. The
// Invoke API names it as NAME, NAME:QUALIFIER or an ARN.
func functionOf(rt route, r *http.Request) string {
	if rt.function == "" {
		return ""
	}
	v := r.PathValue(rt.function)
	if _, path, _ := strings.Cut(rt.pattern, " "); isLambdaAPIPath(path) {
		ref, err := parseFunctionName(v)
		if err != nil {
			return v // the handler refuses it; a limited key is refused here
		}
		return ref.Name
	}
	return v
}

// clientAddr is the connection's peer address, never a header the client
// chose (X-Forwarded-For): no decision trusts what the caller says it is.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func keyIDOf(k *lambda.Key) string {
	if k == nil {
		return ""
	}
	return k.ID
}
