package http

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// openFront opens s on a loopback port, so that the front serves it.
func openFront(t testing.TB, s *Server) string {
	t.Helper()
	s.Addr = "127.0.0.1:0"
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	if s.front == nil {
		t.Fatal("a plain HTTP server has no front")
	}
	return fmt.Sprintf("127.0.0.1:%d", s.Port())
}

// TestFrontOneConnection: on one kept-alive connection, function requests
// (by host and by path, with a Content-Length body and a chunked one)
// and then a control API request, which net/http serves from there on,
// each get their answer in order.
func TestFrontOneConnection(t *testing.T) {
	s, _ := newTestServer(t, echoBackend())
	addr := openFront(t, s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	steps := []struct {
		request string
		status  int
		want    string
	}{
		{"GET /a?b=c HTTP/1.1\r\nHost: greet.localhost\r\n\r\n", 200, `"query":"b=c"`},
		{"POST /fn/greet/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello", 200, `"body":"hello"`},
		{"POST /fn/greet/ HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n", 200, `"body":"abcde"`},
		{"GET /fn/nope/ HTTP/1.1\r\nHost: localhost\r\n\r\n", 404, `not_found`},
		{"GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n", 404, `no route`},
		{"GET /fn/greet/after HTTP/1.1\r\nHost: localhost\r\n\r\n", 200, `"path":"/after"`},
	}
	for _, st := range steps {
		if _, err := io.WriteString(conn, st.request); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%q: %v", st.request, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%q: body %v", st.request, err)
		}
		if st.status != 0 && (resp.StatusCode != st.status || !strings.Contains(string(b), st.want)) {
			t.Errorf("%q: %d %s, want %d with %s", st.request, resp.StatusCode, b, st.status, st.want)
		}
		if resp.Close {
			t.Fatalf("%q: the connection was closed", st.request)
		}
	}
}

// TestFrontAnswers: what the front's response writer puts on the wire for
// the gateway's answers: a short answer of unknown length gets a
// Content-Length, a long one is chunked, a HEAD answer has no body, and
// a client's Connection: close ends the connection.
func TestFrontAnswers(t *testing.T) {
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/long" {
			w.Write([]byte(strings.Repeat("x", 10000)))
			return
		}
		w.Write([]byte("<html>hi</html>"))
	})
	s, _ := newTestServer(t, backend)
	addr := openFront(t, s)
	for _, tt := range []struct {
		method, path string
		length       int64
		chunked      bool
		body         string
	}{
		{"GET", "/short", 15, false, "<html>hi</html>"},
		{"GET", "/long", -1, true, strings.Repeat("x", 10000)},
		{"HEAD", "/short", 15, false, ""},
	} {
		req, _ := http.NewRequest(tt.method, "http://"+addr+"/fn/greet"+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		chunked := len(resp.TransferEncoding) > 0
		if resp.StatusCode != 200 || string(b) != tt.body || chunked != tt.chunked || (!chunked && resp.ContentLength != tt.length) {
			t.Errorf("%s %s: %d, length %d, chunked %v, body %d bytes", tt.method, tt.path, resp.StatusCode, resp.ContentLength, chunked, len(b))
		}
		if resp.Header.Get("Date") == "" || resp.Header.Get("X-Lambda-Version") != "7" {
			t.Errorf("%s %s: headers %v", tt.method, tt.path, resp.Header)
		}
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET /fn/greet/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	all, err := io.ReadAll(conn) // ends only if the server closes
	if err != nil || !strings.Contains(string(all), "Connection: close") || !strings.HasSuffix(string(all), "<html>hi</html>") {
		t.Errorf("Connection: close: %q, %v", all, err)
	}
}

// TestFrontClientGoesAway: a client that hangs up while its function runs
// cancels the request (the instance is released, not held until the
// function's deadline), as net/http's background read did.
func TestFrontClientGoesAway(t *testing.T) {
	seen := make(chan struct{})
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(seen)
		<-r.Context().Done()
	})
	s, fr := newTestServer(t, backend)
	fr.timeout = 30 * time.Second
	fr.onRelease = make(chan bool, 1)
	addr := openFront(t, s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(conn, "GET /fn/greet/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
	<-seen
	conn.Close()
	select {
	case <-fr.onRelease:
	case <-time.After(5 * time.Second):
		t.Fatal("the lease was not released after the client went away")
	}
}

// TestFrontClientGoesAwayAfterAnswers: the watch is the connection's,
// its timer reset from request to request; a client that goes away
// during a later request on a kept-alive connection (after quick answers,
// one with a body) still cancels it, and the lease is released.
func TestFrontClientGoesAwayAfterAnswers(t *testing.T) {
	seen := make(chan struct{})
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/wait" {
			_, _ = io.WriteString(w, "quick")
			return
		}
		close(seen)
		<-r.Context().Done()
	})
	s, fr := newTestServer(t, backend)
	fr.timeout = 30 * time.Second
	fr.onRelease = make(chan bool, 1)
	addr := openFront(t, s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	for _, req := range []string{
		"GET /fn/greet/ HTTP/1.1\r\nHost: localhost\r\n\r\n",
		"POST /fn/greet/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc",
		"GET / HTTP/1.1\r\nHost: greet.localhost\r\n\r\n",
	} {
		_, _ = io.WriteString(conn, req)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "quick" {
			t.Fatalf("%q: %d %q", req, resp.StatusCode, body)
		}
		<-fr.onRelease
	}
	_, _ = io.WriteString(conn, "GET /fn/greet/wait HTTP/1.1\r\nHost: localhost\r\n\r\n")
	<-seen
	conn.Close()
	<-fr.onRelease // the test's timeout, were it never released
}
