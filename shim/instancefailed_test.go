package shim

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// An answer tells the gateway when the instance cannot serve another
// request, so that it never hands the next one to a dead process.
func TestInstanceFailedHeader(t *testing.T) {
	for _, tc := range []struct {
		name, protocol, body string
		header               []string
		env                  []string
		status               int
		failed               string // what X-Lambda-Instance-Failed must hold; "" = absent
		exit                 int    // the shim's exit status, -1 when it keeps running
		runtimeExit          string // what X-Lambda-Runtime-Exit must hold: a crash's only
	}{
		// aws-lambda-go posts the panic to /error and exits right after:
		// the answer waits to see the exit.
		{"aws panic raw", protoAWS, `{"action":"panic"}`, []string{"X-Lambda-Invoke-Mode", "raw"}, nil, 500, "the function process exited with status 2", 2, "exit status 2"},
		{"aws panic function url", protoAWS, `{"action":"panic"}`, nil, nil, 502, "the function process exited with status 2", 2, "exit status 2"},
		{"handler panic", protoHandler, `{"action":"panic"}`, nil, nil, 500, "the function process exited with status 2", 2, "exit status 2"},
		{"exit during the invocation", protoHandler, `{"action":"exit","code":"3"}`, nil, nil, 502, "the function process exited with status 3", 3, "exit status 3"},
		// The shim kills the process of a timed-out invocation: no crash.
		{"timeout", protoAWS, `{"action":"sleep","ms":"5000"}`, nil, []string{"LAMBDA_FUNCTION_TIMEOUT_MS=1000"}, 504, "the invocation timed out", 1, ""},
		// A runtime that survives its error asks for the next event: no
		// header, and the answer does not wait for settleTimeout.
		{"handled error", protoHandler, `{"action":"error"}`, nil, nil, 500, "", -1, ""},
		{"aws handled error", protoAWS, `{"action":"error"}`, []string{"X-Lambda-Invoke-Mode", "raw"}, nil, 500, "", -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.failed == "" {
				// Only the process's next poll can end the wait in time.
				old := settleTimeout
				settleTimeout = time.Hour
				t.Cleanup(func() { settleTimeout = old })
			}
			s := startShim(t, tc.protocol, tc.env...)
			s.waitReady()
			r := s.do("POST", "/", tc.body, tc.header...).expect(tc.status)
			got := r.header.Get(hdrInstanceFailed)
			switch {
			case tc.failed == "" && got != "":
				t.Errorf("X-Lambda-Instance-Failed %q on an instance that survived", got)
			case tc.failed != "" && !strings.Contains(got, tc.failed):
				t.Errorf("X-Lambda-Instance-Failed %q, want %q; body %s", got, tc.failed, r.body)
			}
			if got := r.header.Get(hdrRuntimeExit); got != tc.runtimeExit {
				t.Errorf("X-Lambda-Runtime-Exit %q, want %q", got, tc.runtimeExit)
			}
			if tc.exit >= 0 {
				if st := s.exitStatus(); st != tc.exit {
					t.Errorf("exit status %d, want %d", st, tc.exit)
				}
				return
			}
			r = s.do("POST", "/", `{"action":"echo"}`).expect(200)
			if r.header.Get(hdrInstanceFailed) != "" {
				t.Errorf("X-Lambda-Instance-Failed on a successful answer: %v", r.header)
			}
		})
	}
}

// A stdio run cut short because the instance stops says so too.
func TestStdioInstanceStopped(t *testing.T) {
	s := startShim(t, protoStdio)
	s.waitReady()
	done := make(chan *response, 1)
	go func() { done <- s.do("POST", "/sleep", "") }()
	waitUntil(t, func() bool { return strings.Contains(s.stderr.String(), "going to sleep") })
	s.signals <- syscall.SIGTERM
	r := (<-done).expect(503)
	if r.header.Get(hdrInstanceFailed) == "" {
		t.Errorf("no X-Lambda-Instance-Failed on a run the shutdown cut: %v %s", r.header, r.body)
	}
}

// waitUntil polls cond, bounded, for conditions the code has no hook for.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
