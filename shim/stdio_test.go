package shim

import (
	"encoding/base64"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// End-to-end tests of the stdio protocol: the test binary is the command,
// and the request path picks its behaviour (fakeCommand).

func TestStdio(t *testing.T) {
	s := startShim(t, protoStdio)
	s.waitReady() // listening at once, no initialisation

	t.Run("echo JSON", func(t *testing.T) {
		r := s.do("POST", "/echo", `{"a":1}`).expect(200)
		if string(r.body) != `{"a":1}` || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("%v %s", r.header, r.body)
		}
		if r.header.Get("X-Lambda-Request-Id") == "" {
			t.Error("no X-Lambda-Request-Id")
		}
	})
	t.Run("non-JSON output", func(t *testing.T) {
		r := s.do("GET", "/text", "").expect(200)
		if string(r.body) != "hello, not JSON" || r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%v %q", r.header, r.body)
		}
	})
	t.Run("non-zero exit", func(t *testing.T) {
		r := s.do("GET", "/fail", "", "X-Lambda-Log-Type", "Tail").expect(502)
		want := `{"error":{"code":"function_error","message":"command exited with status 3: something broke"}}`
		if string(r.body) != want || r.header.Get("X-Lambda-Function-Error") != "Unhandled" {
			t.Errorf("%v %s, want %s", r.header, r.body, want)
		}
		tail, _ := base64.StdEncoding.DecodeString(r.header.Get("X-Lambda-Log-Result"))
		if string(tail) != "something broke\n" {
			t.Errorf("tail %q", tail)
		}
		if !strings.Contains(s.stderr.String(), "something broke") {
			t.Error("stderr not copied to the shim's")
		}
	})
	t.Run("killed by a signal", func(t *testing.T) {
		r := s.do("GET", "/signal", "").expect(502)
		if !strings.Contains(string(r.body), "killed by signal 9") {
			t.Errorf("%s", r.body)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		start := time.Now()
		r := s.do("GET", "/sleep", "", "X-Lambda-Deadline-Ms", deadlineIn(300*time.Millisecond)).expect(504)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("answered after %s", d)
		}
		if !strings.Contains(string(r.body), "timed out after 0.30 seconds: going to sleep") {
			t.Errorf("%s", r.body)
		}
	})
	t.Run("output over 6 MB", func(t *testing.T) {
		r := s.do("GET", "/big", "").expect(502)
		if !strings.Contains(string(r.body), "over the 6 MB limit") {
			t.Errorf("%s", r.body)
		}
	})
	t.Run("request over 6 MB", func(t *testing.T) {
		s.do("POST", "/echo", strings.Repeat("x", maxPayload+1)).expect(413)
	})
	t.Run("CGI environment", func(t *testing.T) {
		r := s.do("POST", "/env?q=1", "{}", "Content-Type", "application/json", "X-Custom", "c",
			"Proxy", "http://evil", "X-Lambda-Request-Id", "rid-7").expect(200)
		m := r.json()
		want := map[string]any{
			"REQUEST_METHOD": "POST", "PATH_INFO": "/env", "QUERY_STRING": "q=1", "CONTENT_TYPE": "application/json",
			"CONTENT_LENGTH": "2", "HTTP_X_CUSTOM": "c", "LAMBDA_REQUEST_ID": "rid-7", "AWS_LAMBDA_FUNCTION_NAME": "greet",
			"TZ": ":UTC", "HTTP_HOST": strings.TrimPrefix(s.url, "http://"),
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s=%v, want %v", k, m[k], v)
			}
		}
		for _, k := range []string{"HTTP_PROXY", "HTTP_X_LAMBDA_REQUEST_ID", "AWS_LAMBDA_RUNTIME_API"} {
			if v, ok := m[k]; ok {
				t.Errorf("%s=%v must not be set", k, v)
			}
		}
	})
}

func TestStdioConcurrencyLimit(t *testing.T) {
	s := startShim(t, protoStdio, "SHIM_TEST_DIR="+t.TempDir()) // 4 slots
	s.waitReady()
	var mu sync.Mutex
	most := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := int(s.do("GET", "/nap", "").expect(200).json()["running"].(float64))
			mu.Lock()
			most = max(most, n)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if most > 4 || most < 2 {
		t.Errorf("at most %d runs at once, want 2 to 4 (--max-concurrency 4)", most)
	}
}

func TestStdioSIGTERM(t *testing.T) {
	dir := t.TempDir()
	s := startShim(t, protoStdio, "SHIM_TEST_DIR="+dir)
	s.waitReady()
	done := make(chan *response)
	go func() { done <- s.do("GET", "/nap", "") }()
	waitAnyFile(t, dir) // the nap runs
	s.signals <- os.Interrupt
	(<-done).expect(200)
	if st := s.exitStatus(); st != 0 {
		t.Errorf("exit status %d", st)
	}
}
