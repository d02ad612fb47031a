package http

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// deadAddr is an address nothing listens on: connecting is refused.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Defect 10: a request that could not be delivered at all (the instance is
// gone, its exit not yet seen) is sent once more, body and all, to another
// instance; the dead one is released as failed.
func TestGatewayRetriesUndelivered(t *testing.T) {
	s, r := newTestServer(t, echoBackend())
	live := r.backends["greet"]
	dead := deadAddr(t)
	tests := []struct {
		name     string
		next     []string
		status   int
		released []bool
	}{
		{"another instance answers", []string{dead, live}, 200, []bool{true, false}},
		{"only once", []string{dead, dead, live}, 502, []bool{true, true}},
		{"delivered: no retry", []string{live}, 200, []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.next, r.released, r.acquired = tt.next, nil, 0
			resp, m := do(t, s, "POST", "greet.localhost", "/x", strings.NewReader("the body"))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if tt.status == 200 && (m["body"] != "the body" || m["path"] != "/x") {
				t.Errorf("forwarded %v", m)
			}
			if _, released := r.counts(); !equalBools(released, tt.released) {
				t.Errorf("released %v, want %v", released, tt.released)
			}
		})
	}
}

// The shim says when the function's process died during the invocation:
// the instance is released as failed and the client never sees the header.
func TestGatewayInstanceFailedHeader(t *testing.T) {
	s, r := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/died" {
			w.Header().Set(HeaderInstanceFailed, "process exited with status 2")
			w.WriteHeader(http.StatusBadGateway)
		}
		_, _ = io.WriteString(w, `{"errorMessage":"boom"}`)
	}))
	for path, failed := range map[string]bool{"/died": true, "/ok": false} {
		r.released = nil
		resp := send(s, "GET", "greet.localhost", path, nil)
		if resp.Header.Get(HeaderInstanceFailed) != "" {
			t.Errorf("%s: the client sees %s", path, HeaderInstanceFailed)
		}
		if b, _ := io.ReadAll(resp.Body); string(b) != `{"errorMessage":"boom"}` {
			t.Errorf("%s: body %q", path, b)
		}
		if _, released := r.counts(); !equalBools(released, []bool{failed}) {
			t.Errorf("%s: released %v, want [%v]", path, released, failed)
		}
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
