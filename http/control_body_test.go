package http

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestControlAPISlowBodyTimesOut: a control-API request whose JSON body
// never finishes arriving gets 408 after the read timeout and its
// connection closed, as a function request does. Before, readJSON read
// with no deadline: a client with any key that may write (an invoke key
// limited to one function may redrive) held a connection and its
// goroutine for as long as it trickled bytes (seen with a real server:
// POST /v1/keys and /v1/schedules still open after 45 s, /fn/ and invoke
// answered 408 at 30 s).
func TestControlAPISlowBodyTimesOut(t *testing.T) {
	s, _ := newTestServer(t, echoBackend())
	s.BodyReadTimeout = 200 * time.Millisecond
	addr, _ := openGateway(t, s)
	for _, route := range []string{
		"POST /v1/keys",
		"POST /v1/schedules",
		"POST /v1/hooks",
		"POST /v1/functions/greet/rollback",
		"PATCH /v1/functions/greet/scaling",
	} {
		// 100 bytes announced, the start of an object or a whole one sent:
		// the rest never comes, and what follows an object is read too.
		for _, sent := range []string{"{", "{}"} {
			t.Run(route+" "+sent, func(t *testing.T) {
				t.Parallel()
				head := fmt.Sprintf("%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n%s", route, sent)
				resp, body := rawRequest(t, addr, head, nil, 0)
				if resp.StatusCode != 408 || errorCode(t, body) != lambda.ECLIENTTIMEOUT || !strings.Contains(body, "200ms") {
					t.Errorf("%d %s, want 408 %s naming the read timeout", resp.StatusCode, body, lambda.ECLIENTTIMEOUT)
				}
				if !resp.Close {
					t.Error("the connection stays open after a body timeout")
				}
			})
		}
	}
}

// TestUnreadBodyDoesNotHoldTheConnection: a request answered without its
// body being read (refused for want of a key, an unknown route, a method
// the route does not take, a service this server lacks) is answered at
// once, the connection closed if the body never comes. Before, net/http
// read what was left of a small body after the handler, before writing
// the answer, with no deadline (the server has no ReadTimeout): anyone,
// with no key, held a connection and two goroutines for good by sending
// "POST /v1/keys" with a Content-Length and no body (seen with a real
// server: no answer after 45 s on /v1/keys, /v1/functions, /healthz and
// an unknown path).
func TestUnreadBodyDoesNotHoldTheConnection(t *testing.T) {
	s, _ := newTestServer(t, echoBackend())
	s.authOff = false // no key store: every key is refused
	s.Addr = "127.0.0.1:0"
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	addr := fmt.Sprintf("127.0.0.1:%d", s.Port())
	for _, tt := range []struct {
		route  string
		status int
	}{
		{"POST /v1/keys", 401},
		{"PUT /v1/functions/greet/aliases/beta", 401},
		{"POST /v1/nothing", 404},
		{"POST /healthz", 404},
	} {
		t.Run(tt.route, func(t *testing.T) {
			t.Parallel()
			head := fmt.Sprintf("%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", tt.route)
			resp, body := rawRequest(t, addr, head, nil, 0)
			if resp.StatusCode != tt.status {
				t.Errorf("%d %s, want %d", resp.StatusCode, body, tt.status)
			}
			if !resp.Close {
				t.Error("the connection stays open with a body that never came")
			}
		})
	}
}

// TestRedirectDoesNotWaitForTheBody: the plain HTTP port of
// --http-redirect answers a request with a body that never comes, and
// closes. Before, its 308 waited, unsent, for the body for good, as
// TestUnreadBodyDoesNotHoldTheConnection's answers did.
func TestRedirectDoesNotWaitForTheBody(t *testing.T) {
	ca := newTestCA(t)
	s, _ := newTestServer(t, echoBackend())
	s.Addr, s.TLSCert, s.TLSKey, s.HTTPRedirect = "127.0.0.1:0", ca.certFile, ca.keyFile, "127.0.0.1:0"
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	// The redirect server's handler on a port the test knows.
	ts := httptest.NewServer(s.redirect.Handler)
	t.Cleanup(ts.Close)
	head := "POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"
	resp, body := rawRequest(t, ts.Listener.Addr().String(), head, nil, 0)
	if resp.StatusCode != http.StatusPermanentRedirect {
		t.Errorf("%d %s, want 308", resp.StatusCode, body)
	}
	if !resp.Close {
		t.Error("the connection stays open with a body that never came")
	}
}
