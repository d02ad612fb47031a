package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// rawExchange writes raw bytes on a new connection to s and reads one
// answer (nil when the server closed the connection without one).
func (s *server) rawExchange(t *testing.T, raw string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.url(""), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatalf("write: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestHostileHTTP sends what no well-behaved client sends: oversized and
// malformed requests, smuggling attempts, odd Host headers, slow headers.
// Each gets its exact status and a JSON error; none reaches a function
// (whose every request is logged), and the server stays healthy.
func TestHostileHTTP(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t, "LAMBDA_READ_HEADER_TIMEOUT=2s") // its own: a short header timeout
	fn := s.fn("proto")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", fn)
	host := s.host(fn)
	bigHeader := "X-Big: " + strings.Repeat("a", 70<<10) + "\r\n"

	// Each case asks for its own path, so the function's log shows which
	// requests reached it.
	cases := []struct {
		name   string
		raw    string // PATH stands for the case's path
		status int
		code   string // the JSON error's code; "" when the function answers
	}{
		{"headers over 64 KB", "GET PATH HTTP/1.1\r\nHost: " + host + "\r\n" + bigHeader + "\r\n", 431, "too_large"},
		{"request line over 64 KB", "GET PATH?" + strings.Repeat("a", 70<<10) + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n", 431, "too_large"},
		{"two Content-Lengths", "POST PATH HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nbody", 400, "invalid"},
		{"unknown Transfer-Encoding", "POST PATH HTTP/1.1\r\nHost: " + host + "\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, "not_implemented"},
		{"no Host", "GET PATH HTTP/1.1\r\n\r\n", 400, "invalid"},
		{"two Hosts", "GET PATH HTTP/1.1\r\nHost: " + host + "\r\nHost: evil.localhost\r\n\r\n", 400, "invalid"},
		{"Host with a space", "GET PATH HTTP/1.1\r\nHost: a b.localhost\r\n\r\n", 400, "invalid"},
		{"Host label over 63", "GET PATH HTTP/1.1\r\nHost: " + strings.Repeat("a", 64) + ".localhost\r\n\r\n", 400, "invalid"},
		{"Host with userinfo", "GET PATH HTTP/1.1\r\nHost: evil@" + host + "\r\n\r\n", 400, "invalid"},
		// A client's malformed body is the client's fault: 400, and the
		// instance is not blamed (it was, as a 502, before the gateway read
		// bodies before taking an instance).
		{"bad chunk size", "POST PATH HTTP/1.1\r\nHost: " + host + "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nbody\r\n0\r\n\r\n", 400, "invalid"},
		// RFC 9112 lets a server unfold obs-fold instead of rejecting it.
		{"obs-fold header", "GET PATH HTTP/1.1\r\nHost: " + host + "\r\nX-Folded: a\r\n b\r\n\r\n", 200, ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := fmt.Sprintf("/hostile-%d", i)
			resp, body := s.rawExchange(t, strings.Replace(tc.raw, "PATH", path, 1))
			if resp == nil {
				t.Fatalf("no answer: %s", body)
			}
			if tc.code == "" {
				if e := decodeEcho(t, body); resp.StatusCode != tc.status || e.Path != path {
					t.Errorf("got %d %.200q, want %d from the function", resp.StatusCode, body, tc.status)
				}
				return
			}
			var doc apiError
			err := json.Unmarshal([]byte(body), &doc)
			if resp.StatusCode != tc.status || err != nil || doc.Error.Code != tc.code {
				t.Errorf("got %d %.200q, want %d with JSON error %q", resp.StatusCode, body, tc.status, tc.code)
			}
		})
	}

	// Content-Length with Transfer-Encoding: chunked framing wins (RFC 9112
	// 6.1), so what follows the last chunk is a second request on the
	// connection, answered as such, never the first one's body.
	t.Run("Content-Length and Transfer-Encoding", func(t *testing.T) {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.url(""), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		_, _ = io.WriteString(c, "POST /first HTTP/1.1\r\nHost: "+host+"\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /second HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
		r := bufio.NewReader(c)
		for _, want := range []string{"/first", "/second"} {
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatalf("answer for %s: %v", want, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if e := decodeEcho(t, string(body)); resp.StatusCode != 200 || e.Path != want || e.Size != 0 {
				t.Errorf("answer for %s: %d %+v", want, resp.StatusCode, e)
			}
		}
	})
	logs := fixtureLogs(t, s, fn)
	for i, tc := range cases {
		if tc.code != "" && strings.Contains(logs, fmt.Sprintf("/hostile-%d ", i)) {
			t.Errorf("%s reached the function", tc.name)
		}
	}

	t.Run("slow headers", func(t *testing.T) {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.url(""), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: "+host+"\r\nX-Slow: ")
		_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
		// The server answers 408 or hangs up once the header timeout (2 s)
		// passes; either way the read ends.
		_, err = c.Read(make([]byte, 512))
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the server still waits for the headers after %s", time.Since(start))
		}
		if took := time.Since(start); took > 6*time.Second {
			t.Errorf("a slow client held a connection for %s, header timeout 2s", took)
		}
	})
	if resp, body := s.request("GET", "", "/healthz", nil); resp.StatusCode != 200 {
		t.Errorf("server unhealthy: %d %s", resp.StatusCode, body)
	}
	if resp, _ := s.request("GET", host, "/", nil); resp.StatusCode != 200 {
		t.Errorf("the function no longer answers: %d", resp.StatusCode)
	}
	s.mustLambda("delete", fn)
}

// fixtureLogs is the output of every container of function fn.
func fixtureLogs(t *testing.T, s *server, fn string) string {
	t.Helper()
	var b strings.Builder
	for _, id := range s.containers(fn, true) {
		out, _ := exec.Command("docker", "logs", id).CombinedOutput() // it may be gone
		b.Write(out)
	}
	return b.String()
}
