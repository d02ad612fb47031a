package http

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// privateRouter asks lambda.AuthorizeInvoke for private functions before
// leasing, as the engine does.
type privateRouter struct {
	fakeRouter
	private map[string]bool
}

func (p *privateRouter) Acquire(ctx context.Context, name string) (*lambda.Lease, error) {
	if p.private[name] {
		if err := lambda.AuthorizeInvoke(ctx, name); err != nil {
			return nil, err
		}
	}
	return p.fakeRouter.Acquire(ctx, name)
}

func TestPrivateFunctions(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("authorization=" + r.Header.Get("Authorization")))
	}))
	t.Cleanup(backend.Close)
	a := newAuthServer()
	addr := backend.Listener.Addr().String()
	a.Router = &privateRouter{
		fakeRouter: fakeRouter{backends: map[string]string{"priv": addr, "pub": addr}, timeout: 5e9},
		private:    map[string]bool{"priv": true},
	}
	_, inv := a.newKey(t, lambda.ScopeInvoke, "priv")
	_, other := a.newKey(t, lambda.ScopeInvoke, "pub")
	_, read := a.newKey(t, lambda.ScopeRead)
	_, admin := a.newKey(t, lambda.ScopeAdmin)
	h := a.Handler()
	tests := []struct {
		name, method, path, host, auth string
		want                           int
		body                           string
	}{
		{"public without a key", "GET", "/fn/pub/", "", "", 200, "authorization="},
		{"public keeps the client's own header", "GET", "/fn/pub/", "", "Bearer app-token", 200, "authorization=Bearer app-token"},
		{"private without a key", "GET", "/fn/priv/", "", "", 401, "private"},
		{"private by host without a key", "GET", "/", "priv.localhost", "", 401, "private"},
		{"private with a bad key", "GET", "/fn/priv/", "", "Bearer lmb_nope", 401, "not valid"},
		{"private with a key for another function", "GET", "/fn/priv/", "", "Bearer " + other, 403, "may not act on function"},
		{"private with a read key", "GET", "/fn/priv/", "", "Bearer " + read, 403, "scope read"},
		{"private with its invoke key: header stripped", "GET", "/fn/priv/", "", "Bearer " + inv, 200, "authorization="},
		{"private by host with its invoke key", "GET", "/", "priv.localhost", "Bearer " + inv, 200, "authorization="},
		{"lambda invoke of a private function: the admin key stays with the platform", "POST", "/v1/functions/priv/invoke", "", "Bearer " + admin, 200, "authorization="},
		{"lambda invoke of a public function: the key is not forwarded either", "POST", "/v1/functions/pub/invoke", "", "Bearer " + admin, 200, "authorization="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader("{}"))
			if tt.host != "" {
				r.Host = tt.host
			}
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			// A function's answer is compared whole: "authorization=" alone
			// is a function that saw no key.
			if w.Code != tt.want || (tt.want == 200 && w.Body.String() != tt.body) || !strings.Contains(w.Body.String(), tt.body) {
				t.Errorf("%d %s, want %d with %q", w.Code, w.Body, tt.want, tt.body)
			}
			if w.Code == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	// A cron tick or an async job, authorized when it was submitted, runs
	// a private function as the platform: no key, none forwarded.
	for _, trigger := range []lambda.Trigger{lambda.TriggerCron, lambda.TriggerAsync} {
		res, err := a.Invoker.Invoke(context.Background(), &lambda.InvokeRequest{Function: "priv", Payload: []byte("{}"), Trigger: trigger})
		if err != nil || res.StatusCode != 200 || string(res.Payload) != "authorization=" {
			t.Errorf("%s invocation of a private function: %v %+v", trigger, err, res)
		}
	}
}
