package http

import (
	"context"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestVersionRoute: any valid key reads the server's build, whatever its
// scope; no key gets 401.
func TestVersionRoute(t *testing.T) {
	a := newAuthServer()
	_, secret := a.newKey(t, lambda.ScopeInvoke, "only-this-one")
	h := httptest.NewServer(a.Handler())
	defer h.Close()

	c := NewClient(h.URL)
	if _, err := c.Version(context.Background()); lambda.ErrorCode(err) != lambda.EUNAUTHORIZED {
		t.Fatalf("without a key: %v, want unauthorized", err)
	}
	c.APIKey = secret
	v, err := c.Version(context.Background())
	if err != nil || v.GoVersion != runtime.Version() || v.Version == "" || v.OS != runtime.GOOS {
		t.Fatalf("Version = %+v, %v", v, err)
	}
	if *v != Build() {
		t.Fatalf("Version = %+v, want this binary's %+v", v, Build())
	}
}
