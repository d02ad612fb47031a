package http

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// The Invoke API answers through the gateway too: a caller that stops
// reading holds the instance for a bounded time (the write timeout, at
// most the function's deadline), and is not taken for the instance's
// failure.
func TestLambdaInvokeSlowReaderIsBounded(t *testing.T) {
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		chunk := []byte(strings.Repeat("x", 256<<10))
		for range 256 { // 64 MB: more than the socket buffers on the way can hold
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(big.Close)
	store := &fakeFunctionStore{fns: map[string]*lambda.Function{}, versions: map[string][]int{}}
	// The function's timeout leaves reading its answer's first 6 MB room
	// under -race on a loaded machine: at 100 ms that read timed out, and a
	// timeout rightly fails the instance, which is not what is tested here.
	store.add("big", 1, lambda.ProtocolHTTP, 5*time.Second)
	r := &fakeRouter{backends: map[string]string{"big": big.Listener.Addr().String()}, timeout: 5 * time.Second, onRelease: make(chan bool, 1)}
	s := openForTest(NewServer())
	s.Store, s.Router, s.WriteTimeout = store, r, 200*time.Millisecond
	addr, _ := openGateway(t, s)
	requireReleasedDespiteSlowReader(t, addr, "POST /2015-03-31/functions/big/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", r.onRelease)
}

// A payload that does not arrive within the read timeout is a 408 in the
// Invoke API's format, and takes no instance.
func TestLambdaInvokeSlowPayloadTimesOut(t *testing.T) {
	store := &fakeFunctionStore{fns: map[string]*lambda.Function{}, versions: map[string][]int{}}
	store.add("greet", 1, lambda.ProtocolHTTP, time.Second)
	r := &fakeRouter{backends: map[string]string{"greet": deadAddr(t)}, timeout: time.Second}
	s := openForTest(NewServer())
	s.Store, s.Router, s.BodyReadTimeout = store, r, 200*time.Millisecond
	addr, _ := openGateway(t, s)
	resp, body := rawRequest(t, addr, "POST /2015-03-31/functions/greet/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\"", nil, 0)
	if resp.StatusCode != 408 || resp.Header.Get("X-Amzn-ErrorType") != "RequestTimeoutException" || !strings.Contains(body, "200ms") {
		t.Errorf("%d %v %s", resp.StatusCode, resp.Header, body)
	}
	if acquired, _ := r.counts(); acquired != 0 {
		t.Errorf("%d instances taken", acquired)
	}
}
