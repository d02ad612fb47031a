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

	"github.com/lambdahq/lambda"
)

// Defect 6: net/http answers what it cannot parse in plain text before any
// handler runs; those answers must be the platform's JSON errors too.
func TestServerPlainErrorsAreJSON(t *testing.T) {
	s, _ := newTestServer(t, echoBackend())
	s.Addr = "127.0.0.1:0"
	s.MaxHeaderBytes = 4 << 10
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	addr := fmt.Sprintf("127.0.0.1:%d", s.Port())
	tests := []struct {
		name, request string
		status        int
		code, message string
	}{
		{"headers too large", "GET /fn/greet/ HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 16<<10) + "\r\n\r\n",
			431, lambda.ETOOLARGE, "over the server's limit of 4 KB"},
		{"no Host header", "GET / HTTP/1.1\r\n\r\n", 400, lambda.EINVALID, "malformed HTTP request: missing required Host header"},
		{"two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, lambda.EINVALID, "malformed HTTP request"},
		{"malformed request line", "GET\r\n\r\n", 400, lambda.EINVALID, "malformed HTTP request"},
		{"unknown transfer encoding", "POST /fn/greet/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, lambda.ENOTIMPLEMENTED, "transfer encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_, _ = io.WriteString(conn, tt.request)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get(ErrorHeader) != tt.code {
				t.Errorf("%d %v %s", resp.StatusCode, resp.Header, b)
			}
			if code := errorCode(t, string(b)); code != tt.code || !strings.Contains(string(b), tt.message) {
				t.Errorf("body %s, want code %s and %q", b, tt.code, tt.message)
			}
		})
	}
}

// Answers of handlers pass through untouched, whatever they contain.
func TestPlainErrorAsJSONLeavesAnswersAlone(t *testing.T) {
	for _, p := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nx",
		"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nDate: x\r\n\r\n",
		"some body bytes",
	} {
		if _, ok := plainErrorAsJSON([]byte(p), 1<<20); ok {
			t.Errorf("rewrote %q", p)
		}
	}
}
