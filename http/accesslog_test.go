package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/lambdahq/lambda"
)

// logBuffer collects a logger's JSON lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines parses every line; a line that is not JSON fails the test.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// accessLines are the access log's lines among them.
func (b *logBuffer) accessLines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range b.lines(t) {
		if m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

func jsonLogger(b *logBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestAccessLogOneLinePerRequest(t *testing.T) {
	a := newAuthServer()
	logs := &logBuffer{}
	a.Logger = jsonLogger(logs)
	k, secret := a.newKey(t, lambda.ScopeRead)

	req := httptest.NewRequest("GET", "/v1/whoami?token=hunter2", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	req.RemoteAddr = "192.0.2.7:4242"
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}

	lines := logs.accessLines(t)
	if len(lines) != 1 {
		t.Fatalf("%d access lines, want 1: %v", len(lines), lines)
	}
	l := lines[0]
	id := rec.Header().Get(HeaderAPIRequestID)
	want := map[string]any{
		"level": "INFO", "method": "GET", "path": "/v1/whoami", "route": "GET /v1/whoami",
		"status": float64(200), "bytes": float64(rec.Body.Len()), "key": k.ID, "key_name": k.Name,
		"remote": "192.0.2.7", "request_id": id,
	}
	for field, v := range want {
		if l[field] != v {
			t.Errorf("%s = %v, want %v", field, l[field], v)
		}
	}
	if d, ok := l["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("duration_ms = %v, want a number of milliseconds", l["duration_ms"])
	}
	if len(id) != 36 {
		t.Errorf("X-Request-Id %q is not a generated request ID", id)
	}
	if strings.Contains(logs.buf.String(), "hunter2") {
		t.Error("the query string reached the log")
	}
}

func TestAccessLogRequestID(t *testing.T) {
	for _, tc := range []struct {
		name, sent string
		kept       bool
	}{
		{"uuid", "8f14e45f-ceea-467a-9575-0c8f4c1a2b3d", true},
		{"trace style", "Root=1-5759e988-bd862e3fe1be46a994272793:ok_2/x+y=", true},
		{"longest", strings.Repeat("a", maxRequestIDLen), true},
		{"too long", strings.Repeat("a", maxRequestIDLen+1), false},
		{"space", "abc def", false},
		{"quote", `abc"def`, false},
		{"control", "abc\x00def", false},
		{"non-ASCII", "abcé", false},
		{"none", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAuthServer()
			logs := &logBuffer{}
			a.Logger = jsonLogger(logs)
			req := httptest.NewRequest("GET", "/v1/whoami", nil)
			if tc.sent != "" {
				req.Header.Set(HeaderAPIRequestID, tc.sent)
			}
			rec := httptest.NewRecorder()
			a.Handler().ServeHTTP(rec, req) // no key: 401, logged all the same
			got := rec.Header().Get(HeaderAPIRequestID)
			if kept := got == tc.sent; kept != tc.kept {
				t.Errorf("sent %q, answered %q: kept %v, want %v", tc.sent, got, kept, tc.kept)
			}
			if !tc.kept && !validRequestID(got) {
				t.Errorf("generated request ID %q is not well-formed", got)
			}
			lines := logs.accessLines(t)
			if len(lines) != 1 || lines[0]["request_id"] != got || lines[0]["status"] != float64(401) {
				t.Fatalf("access lines %v, want one of status 401 with request ID %q", lines, got)
			}
			if _, ok := lines[0]["key"]; ok {
				t.Errorf("a request without a key logged key %v", lines[0]["key"])
			}
		})
	}
}

func TestAccessLogLevels(t *testing.T) {
	for _, tc := range []struct {
		name    string
		policy  accessPolicy
		handler http.HandlerFunc
		cancel  bool
		status  int
		level   string
	}{
		{"ok", accessLogged, func(w http.ResponseWriter, r *http.Request) { respondJSON(w, 200, "ok") }, false, 200, "INFO"},
		{"nothing written", accessLogged, func(w http.ResponseWriter, r *http.Request) {}, false, 200, "INFO"},
		{"not found", accessLogged, errorHandler(lambda.Errorf(lambda.ENOTFOUND, "no such function")), false, 404, "INFO"},
		{"throttled", accessLogged, errorHandler(lambda.Errorf(lambda.ETHROTTLED, "at capacity")), false, 429, "INFO"},
		{"platform failed", accessLogged, errorHandler(errors.New("disk on fire")), false, 500, "ERROR"},
		{"unavailable", accessLogged, errorHandler(lambda.Errorf(lambda.EUNAVAILABLE, "Docker is down")), false, 503, "ERROR"},
		{"not offered", accessLogged, errorHandler(lambda.Errorf(lambda.ENOTIMPLEMENTED, "no metrics")), false, 501, "INFO"},
		{"function failed", accessLogged, errorHandler(lambda.Errorf(lambda.EFUNCTION, "it crashed")), false, 502, "WARN"},
		{"function timed out", accessLogged, errorHandler(lambda.Errorf(lambda.ETIMEOUT, "timed out")), false, 504, "WARN"},
		{"function's own 500", accessLogged, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, false, 500, "INFO"},
		{"client went away", accessLogged, func(w http.ResponseWriter, r *http.Request) {}, true, statusClientClosed, "INFO"},
		{"probe failing", accessProbe, func(w http.ResponseWriter, r *http.Request) { respondJSON(w, 503, "degraded") }, false, 503, "DEBUG"},
		{"panic", accessLogged, func(w http.ResponseWriter, r *http.Request) { panic("bug") }, false, 500, "ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewServer()
			logs := &logBuffer{}
			s.Logger = jsonLogger(logs)
			h := s.accessLogged(route{pattern: "GET /x", access: tc.policy}, tc.handler)
			ctx, cancel := context.WithCancel(context.Background())
			if tc.cancel {
				cancel()
			}
			defer cancel()
			rec := httptest.NewRecorder()
			func() {
				defer func() { _ = recover() }() // net/http's part
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil).WithContext(ctx))
			}()
			lines := logs.accessLines(t)
			if len(lines) != 1 {
				t.Fatalf("%d access lines, want 1", len(lines))
			}
			if lines[0]["status"] != float64(tc.status) || lines[0]["level"] != tc.level {
				t.Errorf("logged status %v at %v, want %d at %s", lines[0]["status"], lines[0]["level"], tc.status, tc.level)
			}
		})
	}
}

func errorHandler(err error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { writeError(w, r, slog.New(slog.DiscardHandler), err) }
}

// TestAccessLogErrorCarriesRequestID: the platform's own error log of a
// request names the request ID of its access line.
func TestAccessLogErrorCarriesRequestID(t *testing.T) {
	s := NewServer()
	logs := &logBuffer{}
	s.Logger = jsonLogger(logs)
	h := s.accessLogged(route{pattern: "GET /x"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.Logger, errors.New("disk on fire"))
	}))
	req := httptest.NewRequest("GET", "/x", nil)
	req.Header.Set(HeaderAPIRequestID, "req-42")
	h.ServeHTTP(httptest.NewRecorder(), req)
	var failed, access int
	for _, l := range logs.lines(t) {
		switch {
		case l["msg"] == "request failed" && l["request_id"] == "req-42" && l["level"] == "ERROR":
			failed++
		case l["msg"] == "request" && l["request_id"] == "req-42" && l["level"] == "ERROR":
			access++
		}
	}
	if failed != 1 || access != 1 {
		t.Errorf("%d error logs and %d access lines with the request ID, want 1 and 1:\n%s", failed, access, logs.buf.String())
	}
}

// TestAccessLogStreamEnds: a streamed answer is logged once, when it ends,
// with all it sent, and still flushes through the access log.
func TestAccessLogStreamEnds(t *testing.T) {
	s := NewServer()
	logs := &logBuffer{}
	s.Logger = jsonLogger(logs)
	h := s.accessLogged(route{pattern: "GET /x"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range 3 {
			_, _ = w.Write([]byte("line\n"))
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("flush: %v", err)
			}
			if n := len(logs.accessLines(t)); n != 0 {
				t.Errorf("logged before the stream ended")
			}
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if !rec.Flushed {
		t.Error("the stream was not flushed")
	}
	lines := logs.accessLines(t)
	if len(lines) != 1 || lines[0]["bytes"] != float64(15) {
		t.Errorf("access lines %v, want one of 15 bytes", lines)
	}
}

func TestAccessLogSkipsTheDataPath(t *testing.T) {
	s, _ := newTestServer(t, echoBackend())
	logs := &logBuffer{}
	s.Logger = jsonLogger(logs)
	for _, target := range []struct{ host, path string }{
		{"greet.localhost", "/"},
		{"greet.localhost", "/v1/functions"},
		{"localhost", "/fn/greet/hello"},
		{"localhost", "/fn/missing"},
	} {
		resp := send(s, "GET", target.host, target.path, nil)
		if resp.Header.Get(HeaderAPIRequestID) != "" {
			t.Errorf("%s%s answered with an API request ID", target.host, target.path)
		}
	}
	if lines := logs.accessLines(t); len(lines) != 0 {
		t.Errorf("the gateway's traffic was access-logged: %v", lines)
	}
	send(s, "GET", "localhost", "/v1/nowhere", nil)
	if lines := logs.accessLines(t); len(lines) != 1 || lines[0]["route"] != "/" || lines[0]["status"] != float64(404) {
		t.Errorf("an unknown control-API path: access lines %v, want one 404", lines)
	}
}

// TestAccessLogPolicies is the route table's access-log column: only the
// data path goes unlogged, only probes at debug level.
func TestAccessLogPolicies(t *testing.T) {
	want := map[string]accessPolicy{
		"GET /healthz":         accessProbe,
		"GET /metrics":         accessProbe,
		"/fn/{name}":           accessOff,
		"/fn/{name}/{path...}": accessOff,
		"POST /2015-03-31/functions/{function}/invocations": accessOff,
	}
	s := NewServer()
	s.Handler()
	for _, rt := range s.registered {
		if rt.access != want[rt.pattern] { // accessLogged for the rest
			t.Errorf("route %q has access policy %d, want %d", rt.pattern, rt.access, want[rt.pattern])
		}
	}
}

// BenchmarkAccessLog is the access log's cost on a control-API request:
// a line written (JSON, to nowhere) and a line filtered out by the level
// (lambda bench's warn).
func BenchmarkAccessLog(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	for _, bc := range []struct {
		name  string
		level slog.Level
		off   bool
	}{{"written", slog.LevelInfo, false}, {"filtered", slog.LevelWarn, false}, {"data path", slog.LevelInfo, true}} {
		b.Run(bc.name, func(b *testing.B) {
			s := NewServer()
			s.Logger = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: bc.level}))
			rt := route{pattern: "GET /v1/functions"}
			if bc.off {
				rt.access = accessOff
			}
			h := s.accessLogged(rt, ok)
			req := httptest.NewRequest("GET", "/v1/functions", nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
		})
	}
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}
