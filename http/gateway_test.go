package http

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// fakeRouter leases a backend by function name and records releases.
type fakeRouter struct {
	mu       sync.Mutex
	backends map[string]string // name → addr
	next     []string          // when set, the addresses of the next leases, in order
	timeout  time.Duration
	acquired int
	released []bool
	// onRelease, when set, receives each release.
	onRelease chan bool
}

func (f *fakeRouter) Acquire(ctx context.Context, name string) (*lambda.Lease, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name == "busy" {
		return nil, lambda.Errorf(lambda.ETHROTTLED, "function %q is at capacity", name)
	}
	addr, ok := f.backends[name]
	if !ok {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "function %q not found", name)
	}
	if len(f.next) > 0 {
		addr, f.next = f.next[0], f.next[1:]
	}
	f.acquired++
	return &lambda.Lease{Function: name, Version: 7, Addr: addr, Timeout: f.timeout, Done: func(failed bool) {
		f.mu.Lock()
		f.released = append(f.released, failed)
		ch := f.onRelease
		f.mu.Unlock()
		if ch != nil {
			ch <- failed
		}
	}}, nil
}

// counts returns how many leases were taken and how each was released.
func (f *fakeRouter) counts() (acquired int, released []bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.acquired, append([]bool(nil), f.released...)
}

func newTestServer(t testing.TB, backend http.Handler) (*Server, *fakeRouter) {
	t.Helper()
	fn := httptest.NewServer(backend)
	t.Cleanup(fn.Close)
	r := &fakeRouter{backends: map[string]string{"greet": fn.Listener.Addr().String()}, timeout: time.Second}
	s := openForTest(NewServer())
	s.Router = r
	return s, r
}

func echoBackend() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_ = json.NewEncoder(w).Encode(map[string]string{
			"method": r.Method, "path": r.URL.Path, "rawpath": r.URL.RawPath, "query": r.URL.RawQuery,
			"body": string(body), "host": r.Host, "xff": r.Header.Get("X-Forwarded-Host"), "prefix": r.Header.Get("X-Forwarded-Prefix"),
		})
	})
}

func send(s *Server, method, host, target string, body io.Reader) *http.Response {
	req := httptest.NewRequest(method, target, body)
	req.Host = host
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec.Result()
}

func do(t *testing.T, s *Server, method, host, target string, body io.Reader) (*http.Response, map[string]string) {
	t.Helper()
	resp := send(s, method, host, target, body)
	var m map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp, m
}

func TestGatewayRouting(t *testing.T) {
	s, r := newTestServer(t, echoBackend())
	tests := []struct {
		name, method, host, target string
		path, query, prefix        string
		direct                     bool // the event alone reaches the function, not the client's request
	}{
		{"subdomain", "GET", "greet.localhost:8080", "/a/b?x=1", "/a/b", "x=1", "", false},
		{"subdomain root", "POST", "GREET.localhost.", "/", "/", "", "", false},
		{"path", "GET", "localhost:8080", "/fn/greet/a/b?x=1&y=2", "/a/b", "x=1&y=2", "/fn/greet", false},
		{"path root", "GET", "localhost:8080", "/fn/greet", "/", "", "/fn/greet", false},
		{"path slash", "PUT", "127.0.0.1", "/fn/greet/", "/", "", "/fn/greet", false},
		{"invoke", "POST", "localhost", "/v1/functions/greet/invoke", "/", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, m := do(t, s, tt.method, tt.host, tt.target, strings.NewReader("payload"))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			forwarded := tt.direct || (m["host"] == tt.host && m["xff"] == tt.host)
			if m["path"] != tt.path || m["query"] != tt.query || m["body"] != "payload" || m["prefix"] != tt.prefix || !forwarded {
				t.Errorf("forwarded %v", m)
			}
			if resp.Header.Get("X-Lambda-Version") != "7" {
				t.Errorf("X-Lambda-Version %q", resp.Header.Get("X-Lambda-Version"))
			}
		})
	}
	if len(r.released) != len(tests) {
		t.Errorf("%d leases released for %d requests", len(r.released), len(tests))
	}
	for _, failed := range r.released {
		if failed {
			t.Error("a successful request released its lease as failed")
		}
	}
}

func TestGatewayEscapedPath(t *testing.T) {
	s, _ := newTestServer(t, echoBackend())
	_, m := do(t, s, "GET", "localhost", "/fn/greet/a%2Fb/c", nil)
	if m["path"] != "/a/b/c" || m["rawpath"] != "/a%2Fb/c" {
		t.Errorf("escaped path forwarded as %q (raw %q)", m["path"], m["rawpath"])
	}
}

func TestGatewayErrors(t *testing.T) {
	s, r := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/slow":
			time.Sleep(time.Second) // past the 100ms timeout and the slack
		case "/hangup":
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}
	}))
	r.timeout = 100 * time.Millisecond
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	r.backends["dead"] = dead.Addr().String()
	dead.Close()

	tests := []struct {
		name, host, target string
		body               io.Reader
		status             int
		code               string
		failed             bool
	}{
		{"unknown function", "nosuch.localhost", "/", nil, 404, lambda.ENOTFOUND, false},
		{"bad host", "a..localhost", "/", nil, 400, lambda.EINVALID, false},
		{"bad path name", "localhost", "/fn/Bad_Name/", nil, 400, lambda.EINVALID, false},
		{"timeout", "greet.localhost", "/slow", nil, 504, lambda.ETIMEOUT, false},
		{"hang up", "greet.localhost", "/hangup", nil, 502, lambda.EFUNCTION, true},
		{"refused", "dead.localhost", "/", nil, 502, lambda.EFUNCTION, true},
		{"too large", "greet.localhost", "/", strings.NewReader(strings.Repeat("x", lambda.MaxPayloadBytes+1)), 413, lambda.ETOOLARGE, false},
		{"no route", "localhost", "/nope", nil, 404, lambda.ENOTFOUND, false},
		{"throttled", "busy.localhost", "/", nil, 429, lambda.ETHROTTLED, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.released = nil
			resp := send(s, "POST", tt.host, tt.target, tt.body)
			var e ErrorResponse
			_ = json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != tt.status || e.Error.Code != tt.code || e.Error.Message == "" || resp.Header.Get(ErrorHeader) != tt.code {
				t.Errorf("got %d %+v, want %d with code %s", resp.StatusCode, e, tt.status, tt.code)
			}
			if (tt.code == lambda.ETHROTTLED) != (resp.Header.Get("Retry-After") != "") {
				t.Errorf("Retry-After %q on a %s answer", resp.Header.Get("Retry-After"), tt.code)
			}
			if tt.failed && (len(r.released) == 0 || !r.released[0]) {
				t.Errorf("lease released %v, want failed", r.released)
			}
		})
	}
}

func TestGatewayPlatformHeaders(t *testing.T) {
	var got http.Header
	s, _ := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	tests := []struct {
		name, host, target string
		raw                bool
	}{
		{"public request", "greet.localhost", "/", false},
		{"path request", "localhost", "/fn/greet/x", false},
		{"direct invocation", "localhost", "/v1/functions/greet/invoke", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", tt.target, strings.NewReader("{}"))
			req.Host = tt.host
			req.Header.Set(HeaderInvokeMode, "raw")
			req.Header.Set(HeaderDeadline, "1")
			req.Header.Set(HeaderRequestID, "spoofed")
			s.Handler().ServeHTTP(httptest.NewRecorder(), req)
			if (got.Get(HeaderInvokeMode) == "raw") != tt.raw {
				t.Errorf("invoke mode %q, want raw=%v", got.Get(HeaderInvokeMode), tt.raw)
			}
			if id := got.Get(HeaderRequestID); len(id) != 36 && !(tt.raw && id == "spoofed") {
				t.Errorf("request id %q", id)
			}
			deadline, _ := strconv.ParseInt(got.Get(HeaderDeadline), 10, 64)
			if until := time.Until(time.UnixMilli(deadline)); until <= 0 || until > time.Second {
				t.Errorf("deadline %s away, want within the 1s timeout", until)
			}
		})
	}
}
