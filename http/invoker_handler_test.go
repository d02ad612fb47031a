package http

import (
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// POST /v1/functions/{name}/invoke answers with the function's status,
// headers and body, and the invocation's version, cold start and ID.
func TestHandleInvoke(t *testing.T) {
	f := newInvokerFixture(t, time.Second)
	const path = "/v1/functions/greet/invoke"
	w := f.invokeHTTP("POST", "localhost", path, string(event("created")), map[string]string{HeaderLogType: "Tail"})
	h := w.Header()
	if w.Code != 201 || w.Body.String() != "made" || h.Get("X-Custom") != "yes" || h.Get("Content-Type") != "text/plain" || h.Get(ErrorHeader) != "" {
		t.Errorf("answer %d %q %v", w.Code, w.Body, h)
	}
	id := f.fn.seen()[0].header.Get(HeaderRequestID)
	tail, _ := base64.StdEncoding.DecodeString(h.Get(HeaderLogResult))
	if h.Get(HeaderRequestID) != id || h.Get("X-Lambda-Version") != "7" || h.Get("X-Lambda-Cold-Start") != "true" ||
		!strings.HasPrefix(string(tail), "START RequestId: "+id+" Version: 7\nlog of "+id+"\nEND RequestId: "+id+"\nREPORT RequestId: "+id+"\t") {
		t.Errorf("headers %v, want the ID %s, version 7, cold and the log tail", h, id)
	}
	if h.Get(HeaderIdempotentReplay) != "" {
		t.Error("a first call is marked as a replay")
	}

	w = f.invokeHTTP("POST", "localhost", path, string(event("fail")), nil)
	if w.Code != 500 || w.Header().Get(HeaderFunctionError) != "Unhandled" || w.Header().Get(HeaderLogResult) != "" {
		t.Errorf("function error: %d %v", w.Code, w.Header())
	}

	body := `{"order":42}`
	first := f.invokeHTTP("POST", "localhost", path, body, map[string]string{HeaderIdempotencyKey: "order-42"})
	again := f.invokeHTTP("POST", "localhost", path, body, map[string]string{HeaderIdempotencyKey: "order-42"})
	if first.Code != 200 || again.Code != 200 || again.Body.String() != body || again.Header().Get(HeaderIdempotentReplay) != "true" || again.Header().Get(HeaderRequestID) != first.Header().Get(HeaderRequestID) {
		t.Errorf("replay: %d %q %v", again.Code, again.Body, again.Header())
	}
	other := f.invokeHTTP("POST", "localhost", path, `{"order":43}`, map[string]string{HeaderIdempotencyKey: "order-42"})
	if other.Code != 422 || other.Header().Get(ErrorHeader) != lambda.EIDEMPOTENCY {
		t.Errorf("another payload: %d %s", other.Code, other.Body)
	}
	// The same payload for another version is another request: replaying
	// the first target's answer would hide that it never ran there.
	pinned := f.invokeHTTP("POST", "localhost", path+"?qualifier=7", body, map[string]string{HeaderIdempotencyKey: "order-42"})
	if pinned.Code != 422 || pinned.Header().Get(ErrorHeader) != lambda.EIDEMPOTENCY || pinned.Header().Get(HeaderIdempotentReplay) != "" {
		t.Errorf("another qualifier: %d %v %s, want 422", pinned.Code, pinned.Header(), pinned.Body)
	}
}

func TestHandleInvokeBadInput(t *testing.T) {
	f := newInvokerFixture(t, time.Second)
	tests := []struct {
		name, target string
		header       map[string]string
		status       int
		msgHas       string
	}{
		{"timeout not a duration", "/v1/functions/greet/invoke?timeout=soon", nil, 400, "not a duration"},
		{"timeout zero", "/v1/functions/greet/invoke?timeout=0s", nil, 400, "out of range"},
		{"timeout too long", "/v1/functions/greet/invoke?timeout=16m", nil, 400, "out of range"},
		{"two timeouts", "/v1/functions/greet/invoke?timeout=1s&timeout=5m", nil, 400, "timeout is given 2 times: send one"},
		{"two qualifiers", "/v1/functions/greet/invoke?qualifier=live&qualifier=1", nil, 400, "qualifier is given 2 times: send one"},
		{"key too long", "/v1/functions/greet/invoke", map[string]string{HeaderIdempotencyKey: strings.Repeat("k", 257)}, 400, "shorter key"},
		{"bad name", "/v1/functions/Greet/invoke", nil, 400, "lowercase"},
		{"unknown function", "/v1/functions/nosuch/invoke", nil, 404, "not found"},
		{"throttled", "/v1/functions/busy/invoke", nil, 429, "capacity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.invokeHTTP("POST", "localhost", tt.target, "{}", tt.header)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.msgHas) {
				t.Errorf("%d %s, want %d with %q", w.Code, w.Body, tt.status, tt.msgHas)
			}
			if n := len(f.fn.seen()); n != 0 {
				t.Errorf("the function ran %d times", n)
			}
		})
	}
	// A valid timeout shortens the function's.
	start := time.Now()
	if w := f.invokeHTTP("POST", "localhost", "/v1/functions/greet/invoke?timeout=150ms", "{}", nil); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if d := deadlineOf(f.fn.seen()[0]).Sub(start); d > 200*time.Millisecond {
		t.Errorf("deadline %s away, want 150ms", d)
	}
}

// A direct invocation's answer is whole before it is written, the instance
// released: a client that does not read it holds the handler for the write
// timeout, no longer.
func TestHandleInvokeSlowReaderIsBounded(t *testing.T) {
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 5<<20)) // more than the socket buffers on the way hold
	}))
	t.Cleanup(big.Close)
	// A long function timeout: a loaded machine may take more than a
	// second to read 5 MB, which is not what this test is about.
	r := &fakeRouter{backends: map[string]string{"big": big.Listener.Addr().String()}, timeout: 30 * time.Second, onRelease: make(chan bool, 1)}
	s := openForTest(NewServer())
	s.Router, s.WriteTimeout = r, 200*time.Millisecond
	addr, handled := openGateway(t, s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "POST /v1/functions/big/invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
	if failed := <-r.onRelease; failed {
		t.Error("the instance was released as failed")
	}
	waitFor(t, handled, "the handler to give up on a client that does not read")
}
