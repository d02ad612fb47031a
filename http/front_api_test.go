package http

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestFrontServesAPIInvocations: an asynchronous submission whose body came
// with its head is served by the front (its connection stays the
// front's); one whose body is still on its way, and a chunked one, go to
// net/http; each gets its 202, and a refusal before the body is read
// keeps the connection, its body passed over.
func TestFrontServesAPIInvocations(t *testing.T) {
	s, async := newAsyncServer(t)
	addr := openFront(t, s)
	tests := []struct {
		name   string
		parts  []string // written one at a time, a pause between
		status int
		front  bool // the connection is still the front's afterwards
	}{
		{"body with the head", []string{"POST /v1/functions/greet/invocations?timeout=2s HTTP/1.1\r\nHost: localhost\r\nContent-Length: 13\r\n\r\n{\"name\":\"A\"}\n"}, 202, true},
		{"empty body", []string{"POST /v1/functions/greet/invocations HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"}, 202, true},
		{"body after the head", []string{"POST /v1/functions/greet/invocations HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n", "{}"}, 202, false},
		{"chunked", []string{"POST /v1/functions/greet/invocations HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"}, 202, false},
		{"listing", []string{"GET /v1/functions/greet/invocations HTTP/1.1\r\nHost: localhost\r\n\r\n"}, 200, false},
		{"unknown function", []string{"POST /v1/functions/nope/invocations HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}"}, 404, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := async.counts()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for i, p := range tt.parts {
				if i > 0 {
					time.Sleep(50 * time.Millisecond)
				}
				if _, err := io.WriteString(conn, p); err != nil {
					t.Fatal(err)
				}
			}
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			after, _ := async.counts()
			if queued := after - before; (tt.status == 202) != (queued == 1) || queued > 1 {
				t.Errorf("%d jobs queued", queued)
			}
			if tt.status == 202 && (resp.Header.Get("Location") == "" || !strings.Contains(string(b), `"id"`)) {
				t.Errorf("answer %v %s", resp.Header, b)
			}
			if got := frontHolds(s); got != tt.front {
				t.Errorf("the front holds the connection: %v, want %v", got, tt.front)
			}
		})
	}
}

// frontHolds reports whether the front still serves a connection; it
// waits a little for one it handed over or closed to be forgotten.
func frontHolds(s *Server) bool {
	for range 50 {
		s.front.mu.Lock()
		n := len(s.front.conns)
		s.front.mu.Unlock()
		if n == 0 {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

func TestIsFrontInvocation(t *testing.T) {
	for _, tt := range []struct {
		method, path string
		want         bool
	}{
		{"POST", "/v1/functions/greet/invocations", true},
		{"GET", "/v1/functions/greet/invocations", false},
		{"POST", "/v1/functions/greet/invoke", true},
		{"POST", "/v1/functions/greet/invokes", false},
		{"POST", "/v1/functions/greet/invocations/x", false},
		{"POST", "/v1/functions//invocations", false},
		{"POST", "/v1/functions/a/b/invocations", false},
		{"POST", "/2015-03-31/functions/greet/invocations", false},
		{"post", "/v1/functions/greet/invocations", false},
	} {
		if got := isFrontInvocation(tt.method, tt.path); got != tt.want {
			t.Errorf("%s %s: %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
}

// TestFrontServesInvoke: a synchronous invocation through the control API
// is served by the front too, and submissions after it on the same
// connection still are, one refused before its body was read included.
func TestFrontServesInvoke(t *testing.T) {
	s, _ := newTestServer(t, echoBackend())
	store := &fakeFunctionStore{fns: map[string]*lambda.Function{}, versions: map[string][]int{}}
	store.add("greet", 1, lambda.ProtocolHTTP, time.Second)
	s.Store, s.Async = store, newFakeAsync()
	addr := openFront(t, s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	for _, req := range []string{
		"POST /v1/functions/greet/invoke HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}",
		"POST /v1/functions/greet/invocations HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}",
		"POST /v1/functions/nope/invocations HTTP/1.1\r\nHost: localhost\r\nContent-Length: 9\r\n\r\n{\"a\":\"b\"}",
		"POST /v1/functions/greet/invocations HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}",
	} {
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := map[bool]int{true: 4, false: 2}[strings.Contains(req, "nope")]; resp.StatusCode/100 != want {
			t.Fatalf("%q: status %d: %s", req, resp.StatusCode, b)
		}
		if !frontHolds(s) {
			t.Fatalf("%q: the front handed the connection over", req)
		}
	}
}
