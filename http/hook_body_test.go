package http

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// A delivery's body over the limit is 413 and never reaches the hook
// service (nor is held in memory past the limit).
func TestHookDeliveryBodyTooLarge(t *testing.T) {
	f := &fakeHooks{}
	s := NewServer()
	s.Hooks = f
	req := httptest.NewRequest(http.MethodPost, "/v1/hooks/hk_1", strings.NewReader(strings.Repeat("a", lambda.MaxHookBody+1)))
	req.Header.Set("X-Hub-Signature-256", "sha256=x")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || f.got.Body != nil {
		t.Errorf("status %d, service got %d bytes; want 413 and nothing delivered", rec.Code, len(f.got.Body))
	}
}

// A body that trickles in (slowloris) is cut off at the endpoint's time
// limit with 408; the hook service never sees it.
func TestHookDeliverySlowBody(t *testing.T) {
	defer func(d time.Duration) { hookBodyTimeout = d }(hookBodyTimeout)
	hookBodyTimeout = 300 * time.Millisecond
	f := &fakeHooks{}
	s := NewServer()
	s.Hooks = f
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/hooks/hk_1 HTTP/1.1\r\nHost: x\r\nX-Hub-Signature-256: sha256=x\r\nContent-Length: 1000\r\n\r\n{")
	// Never more: the server must answer on its own, well before this
	// generous bound.
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a body that never arrives: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || f.got.Body != nil {
		t.Errorf("status %d, service got %q; want 408 and nothing delivered", resp.StatusCode, f.got.Body)
	}
}
