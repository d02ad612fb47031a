package http

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// openForTest turns authentication off for the unit tests of handlers that
// are not about it. It is no server setting: only tests can set authOff.
func openForTest(s *Server) *Server {
	s.authOff = true
	return s
}

// memKeys is an in-memory KeyStore and AuditStore.
type memKeys struct {
	mu     sync.Mutex
	byHash map[string]*lambda.Key
	audit  []*lambda.AuditEntry
}

func (m *memKeys) CreateKey(_ context.Context, k *lambda.Key, hash []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byHash == nil {
		m.byHash = map[string]*lambda.Key{}
	}
	m.byHash[string(hash)] = k
	return nil
}

func (m *memKeys) FindKeyByHash(_ context.Context, hash []byte) (*lambda.Key, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := m.byHash[string(hash)]; ok {
		c := *k
		return &c, nil
	}
	return nil, lambda.Errorf(lambda.ENOTFOUND, "no key")
}

func (m *memKeys) FindKey(_ context.Context, id string) (*lambda.Key, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range m.byHash {
		if k.ID == id {
			c := *k
			return &c, nil
		}
	}
	return nil, lambda.Errorf(lambda.ENOTFOUND, "no key %s", id)
}

func (m *memKeys) ListKeys(context.Context) ([]*lambda.Key, error) { return nil, nil }

func (m *memKeys) RevokeKey(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range m.byHash {
		if k.ID == id && k.RevokedAt == nil {
			k.RevokedAt = &at
		}
	}
	return nil
}

func (m *memKeys) RecordAudit(_ context.Context, e *lambda.AuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.audit = append(m.audit, e)
	return nil
}

func (m *memKeys) ListAudit(context.Context, time.Time) ([]*lambda.AuditEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.audit), nil
}

// authServer is a Server with keys; newKey adds one and returns its secret.
type authServer struct {
	*Server
	keys *memKeys
}

func newAuthServer() *authServer {
	s := NewServer()
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	m := &memKeys{}
	s.Keys, s.Audit, s.Secrets = m, m, lambda.KeySecrets{Master: bytes.Repeat([]byte{7}, lambda.MasterKeyBytes)}
	return &authServer{Server: s, keys: m}
}

func (a *authServer) newKey(t *testing.T, scope string, functions ...string) (*lambda.Key, string) {
	t.Helper()
	k, secret, hash, err := a.Secrets.NewKey("test-"+scope, scope, functions, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.keys.CreateKey(context.Background(), k, hash); err != nil {
		t.Fatal(err)
	}
	return k, secret
}

// wantScope is the access-control table as documented: every route and
// the scope it needs. A route added without a line here fails
// TestEveryRouteHasARule.
var wantScope = map[string]string{
	"GET /healthz":                                      scopePublic,
	"GET /metrics":                                      scopeMetrics,
	"/fn/{name}":                                        scopePublic,
	"/fn/{name}/{path...}":                              scopePublic,
	"/":                                                 scopePublic,
	"POST /v1/functions/{name}/deploy":                  lambda.ScopeDeploy,
	"POST /v1/projects/{project}/deploy":                lambda.ScopeDeploy,
	"GET /v1/functions":                                 lambda.ScopeRead,
	"GET /v1/functions/{name}":                          lambda.ScopeRead,
	"DELETE /v1/functions/{name}":                       lambda.ScopeDeploy,
	"GET /v1/functions/{name}/versions":                 lambda.ScopeRead,
	"POST /v1/functions/{name}/rollback":                lambda.ScopeDeploy,
	"GET /v1/functions/{name}/aliases":                  lambda.ScopeRead,
	"POST /v1/functions/{name}/aliases":                 lambda.ScopeDeploy,
	"GET /v1/functions/{name}/aliases/{alias}":          lambda.ScopeRead,
	"PUT /v1/functions/{name}/aliases/{alias}":          lambda.ScopeDeploy,
	"DELETE /v1/functions/{name}/aliases/{alias}":       lambda.ScopeDeploy,
	"POST /v1/functions/{name}/promote":                 lambda.ScopeDeploy,
	"PATCH /v1/functions/{name}/scaling":                lambda.ScopeDeploy,
	"POST /v1/functions/{name}/invoke":                  lambda.ScopeInvoke,
	"POST /2015-03-31/functions/{function}/invocations": lambda.ScopeInvoke,
	"POST /v1/functions/{name}/invocations":             lambda.ScopeInvoke,
	"GET /v1/functions/{name}/invocations":              lambda.ScopeRead,
	"GET /v1/functions/{name}/logs":                     lambda.ScopeRead,
	"GET /v1/functions/{name}/stats":                    lambda.ScopeRead,
	"POST /v1/functions/{name}/redrive":                 lambda.ScopeInvoke,
	"GET /v1/invocations/{id}":                          scopeReadOrInvoke,
	"GET /v1/images":                                    lambda.ScopeRead,
	"GET /v1/runtimes":                                  lambda.ScopeRead,
	"POST /v1/runtimes/prepare":                         lambda.ScopeAdmin,
	"POST /v1/schedules":                                lambda.ScopeDeploy,
	"GET /v1/schedules":                                 lambda.ScopeRead,
	"DELETE /v1/schedules/{id}":                         lambda.ScopeDeploy,
	"POST /v1/keys":                                     lambda.ScopeAdmin,
	"GET /v1/keys":                                      lambda.ScopeAdmin,
	"DELETE /v1/keys/{id}":                              lambda.ScopeAdmin,
	"GET /v1/audit":                                     lambda.ScopeAdmin,
	"GET /v1/whoami":                                    lambda.ScopeRead,
	"GET /v1/version":                                   scopeAnyKey,
	"POST /v1/hooks":                                    lambda.ScopeDeploy,
	"GET /v1/hooks":                                     lambda.ScopeRead,
	"DELETE /v1/hooks/{id}":                             lambda.ScopeDeploy,
	"POST /v1/hooks/{id}":                               scopePublic, // HMAC-verified: the hook's secret signs the body
	"GET /ui/":                                          scopePublic, // the dashboard's files: no data, which it reads with the user's key
	// The Lambda API's function lifecycle (awsapi_routes.go).
	"POST /2015-03-31/functions":                                  lambda.ScopeDeploy,
	"GET /2015-03-31/functions":                                   lambda.ScopeRead,
	"GET /2015-03-31/functions/{$}":                               lambda.ScopeRead,
	"GET /2015-03-31/functions/{function}":                        lambda.ScopeRead,
	"DELETE /2015-03-31/functions/{function}":                     lambda.ScopeDeploy,
	"GET /2015-03-31/functions/{function}/configuration":          lambda.ScopeRead,
	"PUT /2015-03-31/functions/{function}/configuration":          lambda.ScopeDeploy,
	"PUT /2015-03-31/functions/{function}/code":                   lambda.ScopeDeploy,
	"GET /2015-03-31/functions/{function}/versions":               lambda.ScopeRead,
	"POST /2015-03-31/functions/{function}/versions":              lambda.ScopeDeploy,
	"PUT /2017-10-31/functions/{function}/concurrency":            lambda.ScopeDeploy,
	"DELETE /2017-10-31/functions/{function}/concurrency":         lambda.ScopeDeploy,
	"GET /2019-09-30/functions/{function}/concurrency":            lambda.ScopeRead,
	"PUT /2019-09-25/functions/{function}/event-invoke-config":    lambda.ScopeDeploy,
	"POST /2019-09-25/functions/{function}/event-invoke-config":   lambda.ScopeDeploy,
	"GET /2019-09-25/functions/{function}/event-invoke-config":    lambda.ScopeRead,
	"DELETE /2019-09-25/functions/{function}/event-invoke-config": lambda.ScopeDeploy,
	"POST /2015-03-31/functions/{function}/aliases":               lambda.ScopeDeploy,
	"GET /2015-03-31/functions/{function}/aliases":                lambda.ScopeRead,
	"GET /2015-03-31/functions/{function}/aliases/{alias}":        lambda.ScopeRead,
	"PUT /2015-03-31/functions/{function}/aliases/{alias}":        lambda.ScopeDeploy,
	"DELETE /2015-03-31/functions/{function}/aliases/{alias}":     lambda.ScopeDeploy,
}

// grantedBy lists, for the scope a route needs, the key scopes that get
// in: written out rather than computed with Key.Allows, so that the test
// checks the rule instead of repeating it.
var grantedBy = map[string][]string{
	lambda.ScopeAdmin:  {lambda.ScopeAdmin},
	lambda.ScopeDeploy: {lambda.ScopeAdmin, lambda.ScopeDeploy},
	lambda.ScopeRead:   {lambda.ScopeAdmin, lambda.ScopeDeploy, lambda.ScopeRead},
	lambda.ScopeInvoke: {lambda.ScopeAdmin, lambda.ScopeInvoke},
	scopeReadOrInvoke:  {lambda.ScopeAdmin, lambda.ScopeDeploy, lambda.ScopeRead, lambda.ScopeInvoke},
	scopeAnyKey:        {lambda.ScopeAdmin, lambda.ScopeDeploy, lambda.ScopeRead, lambda.ScopeInvoke},
}

func TestEveryRouteHasARule(t *testing.T) {
	s := NewServer()
	s.Handler()
	if len(s.registered) < len(wantScope) {
		t.Errorf("%d routes registered, the table has %d", len(s.registered), len(wantScope))
	}
	for _, rt := range s.registered {
		want, ok := wantScope[rt.pattern]
		switch {
		case !ok:
			t.Errorf("route %q has no line in the access-control table (wantScope): say which scope it needs", rt.pattern)
		case rt.scope != want:
			t.Errorf("route %q needs scope %q, the table says %q", rt.pattern, rt.scope, want)
		case !knownScope(rt.scope):
			t.Errorf("route %q has unknown scope %q", rt.pattern, rt.scope)
		}
		if rt.scope != scopePublic && strings.Contains(rt.pattern, "{name}") && rt.function != "name" {
			t.Errorf("route %q acts on a function but does not name it: a key limited to functions would pass", rt.pattern)
		}
		if rt.scope != scopePublic && !strings.HasPrefix(rt.pattern, "GET ") && rt.action == "" && rt.scope != lambda.ScopeInvoke {
			t.Errorf("route %q writes but is not audited", rt.pattern)
		}
	}
}

// TestNoRouteBypassesTheTable fails when a handler is registered on the
// mux directly, past s.route and so past the middleware.
func TestNoRouteBypassesTheTable(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "routes.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range []string{"mux.Handle(", "mux.HandleFunc(", "http.Handle(", "http.HandleFunc("} {
			if bytes.Contains(src, []byte(call)) {
				t.Errorf("%s calls %s: register routes with s.route so that they carry a scope", f, call)
			}
		}
	}
}

// concretePath turns a pattern into a request.
func concretePath(pattern, function string) (method, path string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = http.MethodGet, pattern
	}
	r := strings.NewReplacer("{name}", function, "{function}", function, "{id}", "sch1", "{path...}", "x")
	return method, r.Replace(path)
}

// stubbedHandler serves s's route table with every handler replaced by one
// that answers 299, so that the table and the middleware are tested alone.
func stubbedHandler(s *Server) http.Handler {
	s.Handler()
	mux := http.NewServeMux()
	for _, rt := range s.registered {
		rt.handler = func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) }
		mux.Handle(rt.pattern, s.guard(rt))
	}
	return mux
}

func doRequest(h http.Handler, method, path, authorization string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader("{}"))
	r.RemoteAddr = "192.0.2.1:1234"
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestRouteScopes(t *testing.T) {
	a := newAuthServer()
	secrets := map[string]string{}
	for _, scope := range lambda.Scopes {
		_, secrets[scope] = a.newKey(t, scope)
	}
	h := stubbedHandler(a.Server)
	for _, rt := range a.registered {
		method, path := concretePath(rt.pattern, "fa")
		lambdaAPI := isLambdaAPIPath(path)
		t.Run(rt.pattern, func(t *testing.T) {
			a.failures = failureLimiter{} // this test's own failures are not the point
			// Without a metrics key, /metrics is open as public routes are.
			if rt.scope == scopePublic || rt.scope == scopeMetrics {
				if w := doRequest(h, method, path, ""); w.Code != 299 {
					t.Errorf("public route without a key: %d, want the handler", w.Code)
				}
				return
			}
			w := doRequest(h, method, path, "")
			switch {
			case lambdaAPI && (w.Code != 403 || w.Header().Get(amzErrorType) != "MissingAuthenticationTokenException"):
				t.Errorf("no key: %d %s, want 403 MissingAuthenticationTokenException", w.Code, w.Header().Get(amzErrorType))
			case !lambdaAPI && (w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Bearer realm="lambda"` || w.Header().Get(ErrorHeader) != lambda.EUNAUTHORIZED):
				t.Errorf("no key: %d %v, want 401 with WWW-Authenticate", w.Code, w.Header())
			}
			w = doRequest(h, method, path, "Bearer lmb_notakey")
			if want := map[bool]int{true: 403, false: 401}[lambdaAPI]; w.Code != want {
				t.Errorf("bad key: %d, want %d", w.Code, want)
			}
			for _, scope := range lambda.Scopes {
				w := doRequest(h, method, path, "Bearer "+secrets[scope])
				want := 403
				if slices.Contains(grantedBy[rt.scope], scope) {
					want = 299
				}
				if w.Code != want {
					t.Errorf("key with scope %s: %d, want %d (%s)", scope, w.Code, want, w.Body)
				}
				if want == 403 && !lambdaAPI {
					var doc ErrorResponse
					if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc.Error.Code != lambda.EFORBIDDEN {
						t.Errorf("key with scope %s: body %s, want the error JSON with code forbidden", scope, w.Body)
					}
				}
			}
		})
	}
}

// TestFunctionLimitedKey: a key limited to fa is refused on fb on every
// route that names a function.
func TestFunctionLimitedKey(t *testing.T) {
	a := newAuthServer()
	_, secret := a.newKey(t, lambda.ScopeAdmin, "fa")
	h := stubbedHandler(a.Server)
	for _, rt := range a.registered {
		if rt.scope == scopePublic || rt.function == "" {
			continue
		}
		for fn, want := range map[string]int{"fa": 299, "fb": 403} {
			method, path := concretePath(rt.pattern, fn)
			if w := doRequest(h, method, path, "Bearer "+secret); w.Code != want {
				t.Errorf("%s %s: %d, want %d", method, path, w.Code, want)
			}
		}
	}
	// The Invoke API's ARNs and qualified names name the same function.
	for fn, want := range map[string]int{"fa:1": 299, "arn:aws:lambda:us-east-1:123456789012:function:fb": 403} {
		if w := doRequest(h, "POST", "/2015-03-31/functions/"+fn+"/invocations", "Bearer "+secret); w.Code != want {
			t.Errorf("Invoke API on %s: %d, want %d", fn, w.Code, want)
		}
	}
}

func TestAuthenticationRefusals(t *testing.T) {
	a := newAuthServer()
	k, secret := a.newKey(t, lambda.ScopeAdmin)
	past := time.Now().Add(-time.Hour)
	expired, expiredSecret := a.newKey(t, lambda.ScopeAdmin)
	expired.ExpiresAt = &past
	h := stubbedHandler(a.Server)
	tests := []struct {
		name, authorization, want string
	}{
		{"none", "", "needs an API key"},
		{"basic", "Basic dXNlcjpwYXNz", "as a Bearer token"},
		{"bearer without token", "Bearer", "not an API key"},
		{"not a key", "Bearer abc", "not an API key"},
		{"wrong key", "Bearer lmb_AAAA", "not valid"},
		{"huge token", "Bearer lmb_" + strings.Repeat("a", 100000), "not an API key"},
		{"expired", "Bearer " + expiredSecret, "expired"},
		{"sigv4 off the Invoke API", "AWS4-HMAC-SHA256 Credential=" + k.ID + "/20260101/us-east-1/lambda/aws4_request", "as a Bearer token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := doRequest(h, "GET", "/v1/functions", tt.authorization)
			if w.Code != 401 || !strings.Contains(w.Body.String(), tt.want) || strings.Contains(w.Body.String(), "lmb_A") {
				t.Errorf("%d %s, want 401 saying %q", w.Code, w.Body, tt.want)
			}
		})
	}
	if w := doRequest(h, "GET", "/v1/functions", "bearer "+secret); w.Code != 299 {
		t.Errorf("a valid key with a lower-case scheme: %d", w.Code)
	}
	// Revocation takes effect on the next request.
	if err := a.keys.RevokeKey(context.Background(), k.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if w := doRequest(h, "GET", "/v1/functions", "Bearer "+secret); w.Code != 401 || !strings.Contains(w.Body.String(), "revoked") {
		t.Errorf("revoked key: %d %s", w.Code, w.Body)
	}
}

func TestNoKeyStoreRefusesAll(t *testing.T) {
	s := NewServer()
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	w := doRequest(stubbedHandler(s), "GET", "/v1/functions", "Bearer lmb_AAAA")
	if w.Code != 401 {
		t.Errorf("a server without keys answered %d", w.Code)
	}
}

func TestRepeatedFailuresSlowedDown(t *testing.T) {
	a := newAuthServer()
	_, secret := a.newKey(t, lambda.ScopeRead)
	h := stubbedHandler(a.Server)
	for i := range failureLimit {
		if w := doRequest(h, "GET", "/v1/functions", "Bearer lmb_wrong"); w.Code != 401 {
			t.Fatalf("failure %d: %d, want 401", i+1, w.Code)
		}
	}
	w := doRequest(h, "GET", "/v1/functions", "Bearer lmb_wrong")
	if w.Code != 429 || w.Header().Get("Retry-After") != "60" {
		t.Errorf("past the limit: %d Retry-After %q, want 429 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	// A valid key from the same address gets through: behind a proxy,
	// every client shares its address.
	if w := doRequest(h, "GET", "/v1/functions", "Bearer "+secret); w.Code != 299 {
		t.Errorf("valid key from the throttled address: %d, want 299", w.Code)
	}
	// Another address is not affected.
	r := httptest.NewRequest("GET", "/v1/functions", nil)
	r.RemoteAddr, r.Header = "192.0.2.2:1", http.Header{"Authorization": {"Bearer " + secret}}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 299 {
		t.Errorf("another address: %d", w.Code)
	}
}

func TestFailureLimiterWindowAndMemory(t *testing.T) {
	var l failureLimiter
	now := time.Unix(1000, 0)
	for range failureLimit {
		if wait, _ := l.add("a", now); wait != 0 {
			t.Fatalf("throttled before the limit: %s", wait)
		}
	}
	if wait, first := l.add("a", now); wait != failureWindow || !first {
		t.Errorf("past the limit: wait %s first %v", wait, first)
	}
	if _, first := l.add("a", now); first {
		t.Error("the second failure past the limit is reported first again")
	}
	if d := l.wait("a", now.Add(time.Second)); d != failureWindow-time.Second {
		t.Errorf("wait %s", d)
	}
	if d := l.wait("a", now.Add(failureWindow)); d != 0 {
		t.Errorf("after the window: wait %s", d)
	}
	for i := range maxFailureAddrs + 10 {
		l.add(string(rune(i))+"x", now)
	}
	if n := len(l.addrs); n > maxFailureAddrs {
		t.Errorf("%d addresses kept, bound %d", n, maxFailureAddrs)
	}
}

func TestWritesAudited(t *testing.T) {
	a := newAuthServer()
	k, secret := a.newKey(t, lambda.ScopeDeploy, "fa")
	h := stubbedHandler(a.Server)
	doRequest(h, "DELETE", "/v1/functions/fa", "Bearer "+secret)
	doRequest(h, "DELETE", "/v1/functions/fb", "Bearer "+secret)
	doRequest(h, "GET", "/v1/functions/fa", "Bearer "+secret)
	got, _ := a.keys.ListAudit(context.Background(), time.Time{})
	if len(got) != 2 {
		t.Fatalf("%d audit entries, want the 2 writes: %+v", len(got), got)
	}
	if e := got[0]; e.KeyID != k.ID || e.Action != "delete" || e.Function != "fa" || e.Addr != "192.0.2.1" || e.Status != 299 || e.Result != "ok" {
		t.Errorf("entry %+v", e)
	}
	if e := got[1]; e.Function != "fb" || e.Status != 403 || e.Result != lambda.EFORBIDDEN {
		t.Errorf("refused write: %+v", e)
	}
}

// listingStore lists fixed functions and schedules.
type listingStore struct {
	lambda.FunctionStore
	lambda.FunctionService
	lambda.ScheduleStore
	names []string
}

func (l *listingStore) ListFunctions(context.Context) ([]*lambda.Function, error) {
	var out []*lambda.Function
	for _, n := range l.names {
		out = append(out, &lambda.Function{Name: n})
	}
	return out, nil
}

func (l *listingStore) FindFunction(_ context.Context, name string) (*lambda.Function, error) {
	return &lambda.Function{Name: name}, nil
}

func (l *listingStore) Instances(context.Context, string) ([]*lambda.Instance, error) {
	return nil, nil
}

func (l *listingStore) ListSchedules(_ context.Context, fn string) ([]*lambda.Schedule, error) {
	var out []*lambda.Schedule
	for _, n := range l.names {
		if fn == "" || fn == n {
			out = append(out, &lambda.Schedule{ID: "s-" + n, Function: n})
		}
	}
	return out, nil
}

func (l *listingStore) FindSchedule(_ context.Context, id string) (*lambda.Schedule, error) {
	return &lambda.Schedule{ID: id, Function: strings.TrimPrefix(id, "s-")}, nil
}

func (l *listingStore) DeleteSchedule(context.Context, string) error { return nil }

// TestListingsFilteredForLimitedKeys: a key limited to functions sees only
// those in the function and schedule listings, and cannot reach another's
// schedules by ID or filter.
func TestListingsFilteredForLimitedKeys(t *testing.T) {
	a := newAuthServer()
	st := &listingStore{names: []string{"fa", "fb", "fc"}}
	a.Store, a.Functions, a.Schedules = st, st, st
	_, limited := a.newKey(t, lambda.ScopeDeploy, "fa", "fc")
	_, all := a.newKey(t, lambda.ScopeRead)
	h := a.Handler()
	tests := []struct {
		secret, path string
		want         []string
	}{
		{limited, "/v1/functions", []string{"fa", "fc"}},
		{all, "/v1/functions", []string{"fa", "fb", "fc"}},
		{limited, "/v1/schedules", []string{"fa", "fc"}},
		{all, "/v1/schedules", []string{"fa", "fb", "fc"}},
		{limited, "/v1/schedules?function=fc", []string{"fc"}},
	}
	for _, tt := range tests {
		w := doRequest(h, "GET", tt.path, "Bearer "+tt.secret)
		var doc struct {
			Functions []struct{ Name string }
			Schedules []struct{ Function string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &doc); w.Code != 200 || err != nil {
			t.Fatalf("GET %s: %d %s", tt.path, w.Code, w.Body)
		}
		var got []string
		for _, f := range doc.Functions {
			got = append(got, f.Name)
		}
		for _, s := range doc.Schedules {
			got = append(got, s.Function)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("GET %s lists %v, want %v", tt.path, got, tt.want)
		}
	}
	if w := doRequest(h, "GET", "/v1/schedules?function=fb", "Bearer "+limited); w.Code != 403 {
		t.Errorf("schedules of another function: %d, want 403", w.Code)
	}
	if w := doRequest(h, "DELETE", "/v1/schedules/s-fb", "Bearer "+limited); w.Code != 403 {
		t.Errorf("deleting another function's schedule: %d, want 403", w.Code)
	}
	if w := doRequest(h, "DELETE", "/v1/schedules/s-fa", "Bearer "+limited); w.Code != 204 {
		t.Errorf("deleting its own function's schedule: %d %s, want 204", w.Code, w.Body)
	}
	r := httptest.NewRequest("POST", "/v1/schedules", strings.NewReader(`{"function":"fb","cron":"* * * * *"}`))
	r.Header.Set("Authorization", "Bearer "+limited)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 403 {
		t.Errorf("a schedule for another function: %d %s, want 403", rec.Code, rec.Body)
	}
	// The audit names the schedules' functions, which their paths do not.
	var got []string
	entries, _ := a.keys.ListAudit(context.Background(), time.Time{})
	for _, e := range entries {
		got = append(got, e.Action+" "+e.Function+" "+e.Result)
	}
	want := []string{"schedules.delete fb forbidden", "schedules.delete fa ok", "schedules.create fb forbidden"}
	if !slices.Equal(got, want) {
		t.Errorf("audit %q, want %q", got, want)
	}
}
