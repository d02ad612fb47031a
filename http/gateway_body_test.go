package http

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// openGateway serves s on a real listener, as the gateway's deadlines need
// real connections. Each finished request is sent on the returned channel.
func openGateway(t testing.TB, s *Server) (addr string, handled <-chan struct{}) {
	t.Helper()
	done := make(chan struct{}, 64)
	h := s.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			select {
			case done <- struct{}{}:
			default: // nobody counts (benchmarks)
			}
		}()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.Listener.Addr().String(), done
}

// rawRequest writes head and then body, body[i] after pauses[i] when
// given, and returns the answer.
func rawRequest(t *testing.T, addr, head string, body []string, pause time.Duration) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // catches "never"
	go func() {
		_, _ = io.WriteString(conn, head)
		for _, b := range body {
			time.Sleep(pause) // the client's pace, the subject of the test
			if _, err := io.WriteString(conn, b); err != nil {
				return
			}
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e ErrorResponse
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not a JSON error: %q", body)
	}
	return e.Error.Code
}

// Defect: the function's timeout counted the client's upload time. A body
// that takes 10 times the function's timeout to arrive must still reach
// the function whole, and the instance must not be taken before.
func TestGatewaySlowBodyIsNotFunctionTime(t *testing.T) {
	s, r := newTestServer(t, echoBackend())
	r.timeout = 100 * time.Millisecond // the proxy gives up at 600 ms
	r.onRelease = make(chan bool, 1)
	addr, _ := openGateway(t, s)
	parts := strings.Split("a slow client sends this", " ")
	for i := range parts[1:] {
		parts[i+1] = " " + parts[i+1]
	}
	head := fmt.Sprintf("POST /fn/greet/ HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", len("a slow client sends this"))
	resp, body := rawRequest(t, addr, head, parts, 250*time.Millisecond)
	if resp.StatusCode != 200 || !strings.Contains(body, `"body":"a slow client sends this"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if failed := <-r.onRelease; failed {
		t.Error("the instance was released as failed")
	}
}

// A client too slow for the read timeout gets 408 and never an instance,
// whether its body has a length or is chunked.
func TestGatewaySlowBodyTimesOut(t *testing.T) {
	s, r := newTestServer(t, echoBackend())
	s.BodyReadTimeout = 200 * time.Millisecond
	addr, _ := openGateway(t, s)
	for name, head := range map[string]string{
		"length":  "POST /fn/greet/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
		"chunked": "POST /fn/greet/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			// The rest of the body never comes: the client waits for the answer.
			resp, body := rawRequest(t, addr, head, nil, 0)
			if resp.StatusCode != 408 || errorCode(t, body) != lambda.ECLIENTTIMEOUT || !strings.Contains(body, "200ms") {
				t.Errorf("%d %s", resp.StatusCode, body)
			}
			if !resp.Close {
				t.Error("the connection stays open after a body timeout")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("answered after %s", d)
			}
			if acquired, _ := r.counts(); acquired != 0 {
				t.Errorf("%d instances taken for a body that never arrived", acquired)
			}
		})
	}
}

// Defect 6: a function answering at once while a large chunked upload was
// still arriving became a 502. The gateway now hands the function the whole
// body, so its answer reaches the client; over 6 MB is 413 without an
// instance.
func TestGatewayChunkedUploads(t *testing.T) {
	s, r := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// Answers without reading the body, as a function may.
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "early answer")
	}))
	addr, _ := openGateway(t, s)
	tests := []struct {
		name   string
		size   int
		status int
	}{
		{"under the limit", 5 << 20, 200},
		{"exactly the limit", lambda.MaxPayloadBytes, 200},
		{"over the limit", lambda.MaxPayloadBytes + 1, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := r.counts()
			pr, pw := io.Pipe()
			go func() {
				chunk := []byte(strings.Repeat("x", 64<<10))
				for sent := 0; sent < tt.size; sent += len(chunk) {
					if _, err := pw.Write(chunk[:min(len(chunk), tt.size-sent)]); err != nil {
						return
					}
				}
				pw.Close()
			}()
			req, _ := http.NewRequest("POST", "http://"+addr+"/fn/greet/", pr) // no length: chunked
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			pr.CloseWithError(io.ErrClosedPipe)
			if resp.StatusCode != tt.status {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			after, _ := r.counts()
			if tt.status == 200 && string(b) != "early answer" {
				t.Errorf("answer %q", b)
			}
			if tt.status == 413 && (errorCode(t, string(b)) != lambda.ETOOLARGE || after != before) {
				t.Errorf("%s, %d instances taken", b, after-before)
			}
		})
	}
}

// A client that goes away while sending its body costs no instance; one
// that goes away while the function runs cancels it, and the instance is
// released as healthy.
func TestGatewayClientGone(t *testing.T) {
	started := make(chan struct{}, 1)
	cancelled := make(chan struct{}, 1)
	s, r := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.ReadAll(req.Body) // net/http notices a client leaving once the body is read
		started <- struct{}{}
		<-req.Context().Done()
		cancelled <- struct{}{}
	}))
	r.timeout = time.Minute
	addr, handled := openGateway(t, s)

	t.Run("during the body", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(conn, "POST /fn/greet/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
		conn.Close()
		waitFor(t, handled, "the handler to finish")
		if acquired, _ := r.counts(); acquired != 0 {
			t.Errorf("%d instances taken for a client that left", acquired)
		}
	})
	t.Run("while the function runs", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(conn, "POST /fn/greet/ HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
		waitFor(t, started, "the function to start")
		conn.Close()
		waitFor(t, cancelled, "the function's request to be cancelled")
		waitFor(t, handled, "the handler to finish")
		if _, released := r.counts(); len(released) != 1 || released[0] {
			t.Errorf("releases %v, want one, not failed", released)
		}
	})
}

// A client that stops reading the answer holds the instance's slot only
// until the function's deadline plus the write timeout.
func TestGatewaySlowReaderIsBounded(t *testing.T) {
	s, r := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		chunk := []byte(strings.Repeat("x", 256<<10))
		for range 256 { // 64 MB: more than the socket buffers on the way can hold
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	r.timeout = 100 * time.Millisecond
	s.WriteTimeout = 200 * time.Millisecond
	r.onRelease = make(chan bool, 1)
	addr, _ := openGateway(t, s)
	requireReleasedDespiteSlowReader(t, addr, "GET /fn/greet/ HTTP/1.1\r\nHost: x\r\n\r\n", r.onRelease)
}

// requireReleasedDespiteSlowReader sends request, reads the status line of
// its answer and then nothing more: the instance must still be released,
// and not as failed.
func requireReleasedDespiteSlowReader(t *testing.T, addr, request string, onRelease <-chan bool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, request)
	if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("%q %v", line, err)
	}
	select {
	case failed := <-onRelease:
		if failed {
			t.Error("a slow reader marked the instance as failed")
		}
	case <-time.After(20 * time.Second): // the bound is 0.8 s; this only catches "never"
		t.Fatal("the instance is still held by a client that does not read")
	}
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second): // catches "never", not slowness
		t.Fatalf("timed out waiting for %s", what)
	}
}
