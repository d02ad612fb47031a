package http

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// newTestClient serves h and returns a client for it.
func newTestClient(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return NewClient(srv.URL)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func TestNewClientNormalizesURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", DefaultServerURL},
		{"localhost:9000", "http://localhost:9000"},
		{"http://example.com/", "http://example.com"},
		{" https://lambda.example.com/base/ ", "https://lambda.example.com/base"},
	}
	for _, tt := range tests {
		if got := NewClient(tt.in).BaseURL; got != tt.want {
			t.Errorf("NewClient(%q).BaseURL = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestClientErrorMapping(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantCode    string
		wantMsg     string
	}{
		{"platform error", 404, "application/json", `{"error":{"code":"not_found","message":"function \"x\" not found"}}`, lambda.ENOTFOUND, `function "x" not found`},
		{"conflict", 409, "application/json", `{"error":{"code":"conflict","message":"busy"}}`, lambda.ECONFLICT, "busy"},
		{"code without message", 500, "application/json", `{"error":{"code":"internal"}}`, lambda.EINTERNAL, "internal"},
		{"html from a proxy", 502, "text/html", `<html>bad gateway</html>`, lambda.EFUNCTION, "server answered 502 Bad Gateway: <html>bad gateway</html>"},
		{"empty body", 404, "text/plain", ``, lambda.ENOTFOUND, "server answered 404 Not Found"},
		{"unknown code", 400, "application/json", `{"error":{"code":"weird","message":"m"}}`, lambda.EINVALID, `server answered 400 Bad Request: {"error":{"code":"weird","message":"m"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			_, err := c.GetFunction(context.Background(), "x")
			var le *lambda.Error
			if !errors.As(err, &le) {
				t.Fatalf("err = %v (%T), want *lambda.Error", err, err)
			}
			if le.Code != tt.wantCode || le.Message != tt.wantMsg {
				t.Errorf("err = {%q, %q}, want {%q, %q}", le.Code, le.Message, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestClientUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	c := NewClient("http://" + addr)
	_, err = c.ListFunctions(context.Background())
	var ue *UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v (%T), want *UnreachableError", err, err)
	}
	msg := err.Error()
	wantPrefix := "cannot reach the Lambda server at http://" + addr + ": dial tcp " + addr + ": "
	wantSuffix := `; start it with "lambda server" or point --server / LAMBDA_SERVER at it`
	if !strings.HasPrefix(msg, wantPrefix) || !strings.HasSuffix(msg, wantSuffix) || !strings.Contains(msg, "refused") {
		t.Errorf("message = %q", msg)
	}
}

func TestClientCanceledContext(t *testing.T) {
	c := NewClient("http://127.0.0.1:1")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ListFunctions(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestClientInvalidBaseURL(t *testing.T) {
	c := &Client{BaseURL: "ftp://x"}
	_, err := c.ListFunctions(context.Background())
	if lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), `server URL "ftp://x" is invalid`) {
		t.Errorf("err = %v", err)
	}
}

func TestClientEscapesPathSegments(t *testing.T) {
	var gotPath string
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.EscapedPath()
		w.WriteHeader(http.StatusNoContent)
	})
	tests := []struct{ id, want string }{
		{"a/b?c", "/v1/schedules/a%2Fb%3Fc"},
		{"..", "/v1/schedules/%2E%2E"},
		{"sch_1", "/v1/schedules/sch_1"},
	}
	for _, tt := range tests {
		if err := c.DeleteSchedule(context.Background(), tt.id); err != nil {
			t.Fatal(err)
		}
		if gotPath != tt.want {
			t.Errorf("DeleteSchedule(%q) path = %q, want %q", tt.id, gotPath, tt.want)
		}
	}
}
