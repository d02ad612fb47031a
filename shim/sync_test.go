package shim

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// Synchronization of the end-to-end shim tests: they wait for what the
// function process or the shim did, never for a fixed time.

// waitMark waits (bounded) until the fake runtime has made the mark name
// in dir (its SHIM_TEST_DIR, see mark in child_test.go).
func waitMark(t testing.TB, dir, name string) {
	t.Helper()
	path := filepath.Join(dir, name)
	poll(t, "the function process to reach "+name, func() bool {
		_, err := os.Stat(path)
		return err == nil
	})
}

// waitAnyFile waits (bounded) until dir holds a file: a stdio run in
// progress (the fake command's /nap).
func waitAnyFile(t testing.TB, dir string) {
	t.Helper()
	poll(t, "a run to start", func() bool {
		entries, _ := os.ReadDir(dir)
		return len(entries) > 0
	})
}

// parkedRequests counts the requests the in-process shims hold waiting for
// their result (queued or running), from the goroutine stacks: the shim's
// code has no hook for its queue length, and FIFO tests must know that a
// request is queued before they send the next. The shim tests do not run
// in parallel, so the count is this test's.
func parkedRequests() int {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return bytes.Count(buf[:n], []byte("shim.(*runtimeServer).wait("))
		}
		buf = make([]byte, 2*len(buf))
	}
}

// waitParked waits (bounded) until n requests are parked.
func waitParked(t testing.TB, n int) {
	t.Helper()
	poll(t, "requests to queue", func() bool { return parkedRequests() >= n })
}

// poll checks cond every millisecond for up to 10 s.
func poll(t testing.TB, what string, cond func() bool) {
	t.Helper()
	// Generous: under CI the race-instrumented child processes share two
	// cores with every other package's tests. It only catches "never".
	const bound = 30 * time.Second
	for deadline := time.Now().Add(bound); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", bound, what)
		}
	}
}

func TestParkedRequests(t *testing.T) {
	s := startShim(t, protoAWS)
	s.waitReady()
	if n := parkedRequests(); n != 0 {
		t.Fatalf("%d requests parked before any was sent", n)
	}
	done := make(chan *response)
	go func() { done <- s.do("POST", "/", `{"action":"sleep","ms":"300"}`, "X-Lambda-Invoke-Mode", "raw") }()
	waitParked(t, 1)
	(<-done).expect(200)
	poll(t, "the request to leave", func() bool { return parkedRequests() == 0 })
}
