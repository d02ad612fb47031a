package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A server from before GET /v1/version answers it with its router's 404:
// lambda version prints the client's part, then says the server is older,
// not "no route for GET /v1/version".
func TestVersionOldServer(t *testing.T) {
	isolateCredentials(t)
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(404)
		w.Write([]byte(`{"error":{"code":"not_found","message":"no route for GET /v1/version; functions answer at NAME.localhost or /fn/NAME"}}`))
	}))
	defer h.Close()
	stdout, stderr, code := runCLI(t, h.URL, "", "version", "--api-key", "lmb_k")
	if code == 0 || !strings.Contains(stdout, "Client:\n Version:") || strings.Contains(stdout, "Server:") ||
		!strings.Contains(stderr, "has no GET /v1/version") || !strings.Contains(stderr, "older than this client") {
		t.Fatalf("version against an old server: exit %d\n%s%s", code, stdout, stderr)
	}
	// -o json says it too, as server_error.
	stdout, _, _ = runCLI(t, h.URL, "", "version", "--api-key", "lmb_k", "-o", "json")
	if !strings.Contains(stdout, `"server_error": "the server at `) {
		t.Fatalf("version -o json against an old server:\n%s", stdout)
	}
}
