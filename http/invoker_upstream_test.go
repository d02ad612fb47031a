package http

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestInvokerSharesUpstreams: direct invocations and the gateway's
// requests go over the same pooled connections (one forwarding
// implementation): a request through the gateway, then direct
// invocations one after the other, then the gateway again, all on the
// one connection the first opened.
func TestInvokerSharesUpstreams(t *testing.T) {
	fn := &fakeFunction{release: make(chan struct{}), started: make(chan struct{}, 1)}
	srv := httptest.NewUnstartedServer(fn)
	var opened atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	r := &leaseRouter{fakeRouter: &fakeRouter{backends: map[string]string{"greet": srv.Listener.Addr().String()}, timeout: 10 * time.Second}}
	iv := NewInvoker(r, discardLogger())
	s := openForTest(NewServer())
	s.Router, s.Invoker, s.Logger = r, iv, iv.logger
	addr, _ := openGateway(t, s)
	gatewayGet := func() {
		t.Helper()
		resp, err := http.Post("http://"+addr+"/fn/greet/", "application/json", strings.NewReader(`{"x":1}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != `{"x":1}` {
			t.Fatalf("gateway: %d %q", resp.StatusCode, b)
		}
	}
	gatewayGet()
	for i := range 3 {
		res, err := iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: []byte(`{"n":` + itoa(i) + `}`)})
		if err != nil || res.StatusCode != 200 || string(res.Payload) != `{"n":`+itoa(i)+`}` {
			t.Fatalf("invoke %d: %+v, %v", i, res, err)
		}
	}
	gatewayGet()
	if n := opened.Load(); n != 1 {
		t.Errorf("the function saw %d connections, want 1: the direct path and the gateway's share them", n)
	}
	if n := len(fn.seen()); n != 5 {
		t.Errorf("the function served %d requests, want 5", n)
	}
}

// TestInvokerIdleConnectionClosed: an instance that closes a kept-alive
// connection while it is idle (Node's servers do after 5 s) must not fail
// the next direct invocation, which goes on that connection first and
// then once more on a new one; the function runs once per invocation.
func TestInvokerIdleConnectionClosed(t *testing.T) {
	var served atomic.Int32
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		served.Add(1)
		// Closes the connection after the answer, without telling the
		// invoker so (no Connection: close): as an idle timeout would.
		conn, buf, _ := w.(http.Hijacker).Hijack()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n" + string(body))
		_ = buf.Flush()
		conn.Close()
	})
	_, r := newTestServer(t, backend)
	iv := NewInvoker(r, discardLogger())
	for i := range 3 {
		res, err := iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: []byte(`"ping"`)})
		if err != nil || res.StatusCode != 200 || string(res.Payload) != `"ping"` {
			t.Fatalf("invocation %d: %+v, %v", i, res, err)
		}
	}
	if n := served.Load(); n != 3 {
		t.Errorf("the function served %d requests, want 3 (one each)", n)
	}
	if _, released := r.counts(); !equalBools(released, []bool{false, false, false}) {
		t.Errorf("leases released %v, want 3, none failed", released)
	}
}

// TestInvokeRequestHead: what the instance gets of a direct invocation,
// byte for byte, and a tracestate that could break the head is dropped.
func TestInvokeRequestHead(t *testing.T) {
	deadline := time.UnixMilli(1700000000123)
	got := string(appendInvokeRequest(nil, "10.0.0.7:8080", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "k=v", "req-1", "", true, deadline, 42))
	want := "POST / HTTP/1.1\r\nHost: 10.0.0.7:8080\r\nContent-Type: application/json\r\n" +
		"Traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\nTracestate: k=v\r\n" +
		"X-Lambda-Invoke-Mode: raw\r\nX-Lambda-Log-Type: Tail\r\nX-Lambda-Request-Id: req-1\r\n" +
		"X-Lambda-Deadline-Ms: 1700000000123\r\nContent-Length: 42\r\n\r\n"
	if got != want {
		t.Errorf("head\n%q\nwant\n%q", got, want)
	}
	// The Invoke API's client context, when there is one.
	got = string(appendInvokeRequest(nil, "10.0.0.7:8080", "tp", "", "req-1", `{"custom":{"a":"b"}}`, false, deadline, 2))
	want = "POST / HTTP/1.1\r\nHost: 10.0.0.7:8080\r\nContent-Type: application/json\r\nTraceparent: tp\r\n" +
		"X-Lambda-Invoke-Mode: raw\r\nX-Lambda-Request-Id: req-1\r\nX-Lambda-Client-Context: {\"custom\":{\"a\":\"b\"}}\r\n" +
		"X-Lambda-Deadline-Ms: 1700000000123\r\nContent-Length: 2\r\n\r\n"
	if got != want {
		t.Errorf("head with a client context\n%q\nwant\n%q", got, want)
	}
	for v, ok := range map[string]bool{"k=v, a=b": true, "k=v\r\nX-Evil: 1": false, "a\x00": false, "tab\tok": true} {
		if validHeaderString(v) != ok {
			t.Errorf("validHeaderString(%q) = %v", v, !ok)
		}
	}
}

// TestInvokerInstanceDiedOnPooledConnection: an instance that dies during
// an invocation sent on a kept-alive connection (the kernel killed it at
// its memory limit) ends the connection as an idle close would; the
// retry's new connection is refused, which must not read as an event
// never delivered: the event is not sent to another instance, and the
// caller gets the lease's diagnosis. Before the fix, the refusal sent the
// event to a second instance and the answer was "failed to answer".
func TestInvokerInstanceDiedOnPooledConnection(t *testing.T) {
	var srv *httptest.Server
	var served atomic.Int32
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		served.Add(1)
		if string(body) != `"die"` {
			_, _ = w.Write(body)
			return
		}
		srv.Listener.Close() // the instance is gone: nothing connects again
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	t.Cleanup(srv.Close)
	fr := &fakeRouter{backends: map[string]string{"greet": srv.Listener.Addr().String()}, timeout: 10 * time.Second}
	oom := lambda.Errorf(lambda.EOUTOFMEMORY, `function "greet" ran out of memory (limit 32m) and was stopped`)
	router := &diagnosingRouter{fakeRouter: fr, why: oom}
	iv := NewInvoker(router, discardLogger())
	if _, err := iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: []byte(`"warm"`)}); err != nil {
		t.Fatal(err)
	}
	_, err := iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: []byte(`"die"`)})
	if lambda.ErrorCode(err) != lambda.EOUTOFMEMORY {
		t.Errorf("Invoke = %v, want the lease's out-of-memory diagnosis", err)
	}
	if acquired, released := fr.counts(); acquired != 2 || !equalBools(released, []bool{false, true}) {
		t.Errorf("%d leases, released %v; want 2, the second as failed (no other instance tried)", acquired, released)
	}
	if n := served.Load(); n != 2 {
		t.Errorf("the function served %d requests, want 2", n)
	}
}
