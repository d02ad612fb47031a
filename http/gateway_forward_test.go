package http

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestForwarderHeaders: what the instance gets and what the client gets
// back through the forwarder — hop-by-hop headers dropped both ways (and
// those the Connection header names), X-Forwarded-* set by the gateway
// alone, trailers passed on.
func TestForwarderHeaders(t *testing.T) {
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		w.Header().Set("Connection", "X-Hop")
		w.Header().Set("X-Hop", "dropped")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Kept", "yes")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"xff": r.Header["X-Forwarded-For"], "proto": r.Header.Get("X-Forwarded-Proto"),
			"host": r.Header.Get("X-Forwarded-Host"), "listed": r.Header.Get("X-Listed"),
			"te": r.Header.Get("Te"), "keepalive": r.Header.Get("Keep-Alive"), "expect": r.Header.Get("Expect"),
			"kept": r.Header.Get("X-Client"), "length": r.ContentLength,
		})
		w.Header().Set("X-Sum", "42")
	})
	s, _ := newTestServer(t, backend)
	addr, _ := openGateway(t, s)
	req, _ := http.NewRequest("POST", "http://"+addr+"/fn/greet/", strings.NewReader("hello"))
	req.Header.Set("X-Forwarded-For", "6.6.6.6")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("Connection", "X-Listed")
	req.Header.Set("X-Listed", "dropped")
	req.Header.Set("Te", "trailers, deflate")
	req.Header.Set("Keep-Alive", "timeout=9")
	req.Header.Set("X-Client", "kept")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		XFF                     []string
		Proto, Host, Listed, Te string
		KeepAlive, Expect, Kept string
		Length                  int64
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	if len(got.XFF) != 1 || got.XFF[0] != "127.0.0.1" || got.Proto != "http" || got.Host != addr {
		t.Errorf("X-Forwarded-*: for %v, proto %q, host %q; want the gateway's own", got.XFF, got.Proto, got.Host)
	}
	if got.Listed != "" || got.KeepAlive != "" || got.Te != "trailers" || got.Kept != "kept" || got.Length != 5 {
		t.Errorf("request headers through: %+v", got)
	}
	if resp.Header.Get("X-Hop") != "" || resp.Header.Get("Keep-Alive") != "" || resp.Header.Get("X-Kept") != "yes" {
		t.Errorf("answer headers %v: hop-by-hop ones kept or others dropped", resp.Header)
	}
	if resp.Trailer.Get("X-Sum") != "42" {
		t.Errorf("trailer %v, want X-Sum: 42", resp.Trailer)
	}
	if resp.Header.Get("X-Lambda-Version") != "7" {
		t.Errorf("X-Lambda-Version %q", resp.Header.Get("X-Lambda-Version"))
	}
}

// TestForwarderIdleConnectionClosed: an instance that closes a kept-alive
// connection while it is idle (Node's servers do after 5 s) must not fail
// the next request, which the gateway sends on that connection first.
func TestForwarderIdleConnectionClosed(t *testing.T) {
	var served atomic.Int32
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		served.Add(1)
		// Closes the connection after the answer, without telling the
		// gateway so (no Connection: close): as an idle timeout would.
		conn, buf, _ := w.(http.Hijacker).Hijack()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n" + string(body))
		_ = buf.Flush()
		conn.Close()
	})
	s, fr := newTestServer(t, backend)
	fr.onRelease = make(chan bool, 3)
	addr, _ := openGateway(t, s)
	for i := range 3 {
		resp, err := http.Post("http://"+addr+"/fn/greet/", "text/plain", strings.NewReader("ping"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "ping" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, b)
		}
	}
	if n := served.Load(); n != 3 {
		t.Errorf("the function served %d requests, want 3 (one each)", n)
	}
	// The answer is flushed to the client before the lease is released:
	// the last release may come after the client read its answer.
	for range 3 {
		select {
		case <-fr.onRelease:
		case <-time.After(5 * time.Second):
			t.Fatal("a lease was not released")
		}
	}
	if _, released := fr.counts(); len(released) != 3 || released[0] || released[1] || released[2] {
		t.Errorf("leases released %v, want 3, none failed", released)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
