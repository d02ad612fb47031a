package shim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// End-to-end tests of the aws and handler protocols: the shim in-process,
// the test binary as the function process (child_test.go).

func TestListensOnlyAfterInit(t *testing.T) {
	dir := t.TempDir()
	gate := filepath.Join(dir, "gate")
	s := startShim(t, protoHandler, "SHIM_TEST_INIT=gate:"+gate, "SHIM_TEST_DIR="+dir)
	waitMark(t, dir, "gated") // the process runs but has not asked for an event
	if c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://")); err == nil {
		c.Close()
		t.Fatal("the shim listens before the function asked for its first event")
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s.waitReady()
	s.do("GET", "/?name=World", "").expect(200)
}

func TestInitFailures(t *testing.T) {
	for _, tc := range []struct {
		name, init string
		want       []string
	}{
		{"exit before next", "exit", []string{"init: cannot load config", "exited with status 4 before asking for its first event"}},
		{"init error", "error", []string{"function initialisation failed: Runtime.ImportModuleError: cannot import module"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startShim(t, protoAWS, "SHIM_TEST_INIT="+tc.init)
			if st := s.exitStatus(); st != 1 {
				t.Fatalf("exit status %d, want 1", st)
			}
			for _, w := range tc.want {
				if !strings.Contains(s.stderr.String(), w) {
					t.Errorf("logs lack %q:\n%s", w, s.stderr)
				}
			}
		})
	}
	t.Run("missing command", func(t *testing.T) {
		var logs syncBuffer
		cfg := &config{protocol: protoAWS, addr: "127.0.0.1:0", runtimeAPI: "127.0.0.1:0", timeout: time.Second,
			command: []string{"/nonexistent/bootstrap"}, environ: os.Environ(), stdout: &logs, stderr: &logs}
		if st := run(cfg); st != 1 {
			t.Fatalf("exit status %d, want 1", st)
		}
		if !strings.Contains(logs.String(), "cannot start the function") {
			t.Errorf("logs: %s", logs.String())
		}
	})
}

func TestHandlerProtocol(t *testing.T) {
	s := startShim(t, protoHandler)
	s.waitReady()

	t.Run("http event and context", func(t *testing.T) {
		r := s.do("POST", "/hello/world?name=World&tag=a&tag=b", `{"action":"echo","name":"body","n":1}`,
			"X-Lambda-Request-Id", "req-1", "X-Custom", "v1", "X-Custom", "v2", "Content-Type", "application/json").expect(200)
		m := r.json()
		if got := r.header.Get("X-Lambda-Request-Id"); got != "req-1" {
			t.Errorf("X-Lambda-Request-Id %q", got)
		}
		ev := path(m, "next", "event")
		want := map[string]any{"action": "echo", "name": "World", "n": float64(1), "tag": "a,b"}
		if !jsonEqual(ev, want) {
			t.Errorf("event %v, want %v", ev, want)
		}
		ctx := path(m, "next", "context")
		for k, v := range map[string]any{"function_name": "greet", "function_version": "3", "invocation_id": "req-1", "memory_limit_mb": float64(128)} {
			if got := path(ctx, k); got != v {
				t.Errorf("context.%s = %v, want %v", k, got, v)
			}
		}
		req := path(ctx, "request")
		for k, v := range map[string]any{"method": "POST", "path": "/hello/world", "body": `{"action":"echo","name":"body","n":1}`, "isBase64Encoded": false} {
			if got := path(req, k); got != v {
				t.Errorf("request.%s = %v, want %v", k, got, v)
			}
		}
		if got := path(req, "headers", "x-custom"); got != "v1,v2" {
			t.Errorf("request.headers[x-custom] = %v", got)
		}
		if got := path(req, "headers", "x-lambda-request-id"); got != nil {
			t.Errorf("control header reached the function: %v", got)
		}
		if got := path(req, "query", "tag"); got != "a,b" {
			t.Errorf("request.query.tag = %v", got)
		}
		hdr := path(m, "headers")
		if path(hdr, "id") != "req-1" || path(hdr, "arn") != "arn:aws:lambda:us-east-1:000000000000:function:greet" {
			t.Errorf("runtime headers %v", hdr)
		}
		dl, _ := strconv.ParseInt(path(hdr, "deadline").(string), 10, 64)
		if dl != int64(path(ctx, "deadline_ms").(float64)) || time.Until(time.UnixMilli(dl)) < 9*time.Second {
			t.Errorf("deadline %d is not now + the 10 s timeout", dl)
		}
		if path(hdr, "env") != "greet|:UTC|handler.handler" {
			t.Errorf("function env %v", path(hdr, "env"))
		}
		if !strings.HasPrefix(path(hdr, "trace").(string), "Root=1-") {
			t.Errorf("trace id %v", path(hdr, "trace"))
		}
	})

	t.Run("the platform's trace as the runtime's", func(t *testing.T) {
		r := s.do("POST", "/", `{"action":"echo"}`, "Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").expect(200)
		want := "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1"
		if got := path(r.json(), "headers", "trace"); got != want {
			t.Errorf("Lambda-Runtime-Trace-Id %v, want %s", got, want)
		}
	})

	t.Run("statusCode result", func(t *testing.T) {
		res := `{"statusCode":201,"headers":{"X-Made":"yes","Content-Type":"text/plain"},"cookies":["a=1","b=2"],"body":"created"}`
		r := s.do("POST", "/", `{"action":"result","result":`+strconv.Quote(res)+`}`).expect(201)
		if string(r.body) != "created" || r.header.Get("X-Made") != "yes" || r.header.Get("Content-Type") != "text/plain" {
			t.Errorf("response %v %q", r.header, r.body)
		}
		if c := r.header.Values("Set-Cookie"); len(c) != 2 {
			t.Errorf("Set-Cookie %v", c)
		}
	})

	t.Run("raw mode", func(t *testing.T) {
		r := s.do("POST", "/", `[1,2]`, "X-Lambda-Invoke-Mode", "raw").expect(200)
		m := r.json()
		if !jsonEqual(path(m, "next", "event"), []any{float64(1), float64(2)}) || path(m, "next", "context", "request") != nil {
			t.Errorf("raw envelope %s", r.body)
		}
		if r.header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
		}
		res := `{"statusCode":201,"body":"not mapped in raw mode"}`
		r = s.do("POST", "/", `{"action":"result","result":`+strconv.Quote(res)+`}`, "X-Lambda-Invoke-Mode", "raw").expect(200)
		if string(r.body) != res {
			t.Errorf("raw result %s, want %s", r.body, res)
		}
		s.do("POST", "/", `{not json`, "X-Lambda-Invoke-Mode", "raw").expect(400)
	})

	t.Run("function error", func(t *testing.T) {
		for _, mode := range []string{"http", "raw"} {
			r := s.do("POST", "/", `{"action":"error"}`, "X-Lambda-Invoke-Mode", mode).expect(500)
			if r.header.Get("X-Lambda-Function-Error") != "Unhandled" {
				t.Errorf("%s: no X-Lambda-Function-Error", mode)
			}
			if want := `{"errorMessage":"boom","errorType":"ValueError"}`; string(r.body) != want {
				t.Errorf("%s: body %s, want %s", mode, r.body, want)
			}
		}
	})

	t.Run("bad control headers", func(t *testing.T) {
		s.do("GET", "/", "", "X-Lambda-Deadline-Ms", "soon").expect(400)
		s.do("GET", "/", "", "X-Lambda-Request-Id", "a/b").expect(400)
		s.do("POST", "/", strings.Repeat("x", maxPayload+1)).expect(413)
	})

	t.Run("response over 6 MB", func(t *testing.T) {
		r := s.do("POST", "/", `{"action":"big"}`).expect(502)
		if path(r.json(), "errorType") != "Function.ResponseSizeTooLarge" {
			t.Errorf("body %s", r.body)
		}
		s.do("GET", "/?action=echo", "").expect(200) // the instance lives on
	})
}

func TestAWSProtocol(t *testing.T) {
	s := startShim(t, protoAWS)
	s.waitReady()

	t.Run("function url event", func(t *testing.T) {
		r := s.do("GET", "/p%20q?action=echo&x=1&x=2", "", "Cookie", "a=1; b=2", "User-Agent", "test-agent", "X-Forwarded-For", "10.1.2.3").expect(200)
		ev := path(r.json(), "next")
		checks := map[string]any{
			"version": "2.0", "routeKey": "$default", "rawPath": "/p%20q", "rawQueryString": "action=echo&x=1&x=2",
		}
		for k, v := range checks {
			if got := path(ev, k); got != v {
				t.Errorf("%s = %v, want %v", k, got, v)
			}
		}
		if !jsonEqual(path(ev, "cookies"), []any{"a=1", "b=2"}) || path(ev, "headers", "cookie") != nil {
			t.Errorf("cookies %v, headers %v", path(ev, "cookies"), path(ev, "headers"))
		}
		if path(ev, "queryStringParameters", "x") != "1,2" {
			t.Errorf("queryStringParameters %v", path(ev, "queryStringParameters"))
		}
		http := path(ev, "requestContext", "http")
		if path(http, "method") != "GET" || path(http, "path") != "/p q" || path(http, "sourceIp") != "10.1.2.3" || path(http, "userAgent") != "test-agent" {
			t.Errorf("requestContext.http %v", http)
		}
		if path(ev, "requestContext", "requestId") != path(r.json(), "headers", "id") {
			t.Errorf("requestId differs from Lambda-Runtime-Aws-Request-Id")
		}
	})

	t.Run("response mapping", func(t *testing.T) {
		res := `{"statusCode":202,"headers":{"X-A":"1"},"body":"aGk=","isBase64Encoded":true}`
		r := s.do("POST", "/", `{"action":"result","result":`+strconv.Quote(res)+`}`).expect(202)
		if string(r.body) != "hi" || r.header.Get("X-A") != "1" {
			t.Errorf("mapped %v %q", r.header, r.body)
		}
		r = s.do("POST", "/", `{"action":"result","result":"{\"plain\":true}"}`).expect(200)
		if string(r.body) != `{"plain":true}` || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("plain JSON %v %s", r.header, r.body)
		}
	})

	t.Run("errors", func(t *testing.T) {
		r := s.do("POST", "/", `{"action":"error"}`).expect(502)
		if string(r.body) != `{"message":"Internal Server Error"}` || r.header.Get("X-Lambda-Function-Error") != "Unhandled" {
			t.Errorf("http error %v %s", r.header, r.body)
		}
		r = s.do("POST", "/", `{"action":"error"}`, "X-Lambda-Invoke-Mode", "raw").expect(500)
		if path(r.json(), "stackTrace") == nil || r.header.Get("X-Lambda-Function-Error") != "Unhandled" {
			t.Errorf("raw error should be the document as posted: %s", r.body)
		}
	})

	// The Invoke API's client context, which the platform sends with a
	// direct invocation only, is Lambda-Runtime-Client-Context on /next.
	t.Run("client context", func(t *testing.T) {
		const cc = `{"custom":{"k":"caf\u00e9"},"env":{}}`
		for _, tc := range []struct {
			name   string
			header []string
			want   string
		}{
			{"direct", []string{"X-Lambda-Invoke-Mode", "raw", "X-Lambda-Client-Context", cc}, cc},
			{"direct without", []string{"X-Lambda-Invoke-Mode", "raw"}, ""},
			{"http request", []string{"X-Lambda-Client-Context", cc}, ""},
		} {
			r := s.do("POST", "/", `{"action":"echo"}`, tc.header...).expect(200)
			if got := path(r.json(), "headers", "client"); got != tc.want {
				t.Errorf("%s: Lambda-Runtime-Client-Context %q, want %q", tc.name, got, tc.want)
			}
		}
	})

	t.Run("raw payload as is", func(t *testing.T) {
		r := s.do("POST", "/", ` {"action":"echo", "k": [1]}`, "X-Lambda-Invoke-Mode", "raw").expect(200)
		if !strings.Contains(string(r.body), `"next":{"action":"echo", "k": [1]}`) {
			t.Errorf("raw event changed: %s", r.body)
		}
	})
}

func TestFIFO(t *testing.T) {
	s := startShim(t, protoAWS)
	s.waitReady()
	const n = 5
	tags := make(chan string, n)
	var wg sync.WaitGroup
	base := parkedRequests()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.do("POST", "/", fmt.Sprintf(`{"action":"sleep","ms":"100","tag":"t%d"}`, i), "X-Lambda-Invoke-Mode", "raw").expect(200)
			var res struct {
				Seq int
				Tag string
			}
			json.Unmarshal(r.body, &res)
			tags <- fmt.Sprintf("%s@%d", res.Tag, res.Seq)
		}()
		waitParked(t, base+i+1) // so arrival order is i's order
	}
	wg.Wait()
	close(tags)
	seen := map[string]bool{}
	for tag := range tags {
		seen[tag] = true
	}
	for i := range n {
		if want := fmt.Sprintf("t%d@%d", i, i+1); !seen[want] {
			t.Errorf("request t%d was not invocation %d: got %v", i, i+1, seen)
		}
	}
}

func TestTimeouts(t *testing.T) {
	t.Run("waiting request times out without reaching the function", func(t *testing.T) {
		dir := t.TempDir()
		s := startShim(t, protoHandler, "SHIM_TEST_DIR="+dir)
		s.waitReady()
		first := make(chan *response)
		go func() { first <- s.do("POST", "/", `{"action":"sleep","ms":"600"}`) }()
		waitMark(t, dir, "started-1")
		start := time.Now()
		r := s.do("POST", "/", `{"action":"echo"}`, "X-Lambda-Deadline-Ms", deadlineIn(200*time.Millisecond)).expect(504)
		if d := time.Since(start); d > 450*time.Millisecond {
			t.Errorf("queued request answered after %s", d)
		}
		if path(r.json(), "errorType") != "Timeout" {
			t.Errorf("body %s", r.body)
		}
		(<-first).expect(200)
		s.do("GET", "/?action=echo", "").expect(200) // not killed
	})

	t.Run("running invocation: 504, process killed, shim exits", func(t *testing.T) {
		s := startShim(t, protoAWS, "LAMBDA_FUNCTION_TIMEOUT_MS=300")
		s.waitReady()
		r := s.do("POST", "/", `{"action":"sleep","ms":"5000"}`).expect(504)
		if want := `{"errorMessage":"Task timed out after 0.30 seconds","errorType":"Timeout"}`; string(r.body) != want {
			t.Errorf("body %s, want %s", r.body, want)
		}
		if r.header.Get("X-Lambda-Function-Error") != "Unhandled" {
			t.Error("no X-Lambda-Function-Error on a timeout")
		}
		if st := s.exitStatus(); st != 1 {
			t.Errorf("exit status %d, want 1", st)
		}
	})
}

func TestProcessExit(t *testing.T) {
	for _, tc := range []struct {
		protocol, action string
		status, exit     int
		body             string
	}{
		{protoHandler, `{"action":"exit","code":"3"}`, 502, 3, `"errorType":"Runtime.ExitError"`},
		{protoAWS, `{"action":"exit","code":"3"}`, 502, 3, `{"message":"Internal Server Error"}`},
		{protoHandler, `{"action":"panic"}`, 500, 2, `{"errorMessage":"boom","errorType":"ValueError"}`},
	} {
		t.Run(tc.protocol+" "+tc.action, func(t *testing.T) {
			s := startShim(t, tc.protocol)
			s.waitReady()
			r := s.do("POST", "/", tc.action).expect(tc.status)
			if !strings.Contains(string(r.body), tc.body) || r.header.Get("X-Lambda-Function-Error") != "Unhandled" {
				t.Errorf("answer %v %s, want %s", r.header, r.body, tc.body)
			}
			if st := s.exitStatus(); st != tc.exit {
				t.Errorf("exit status %d, want %d", st, tc.exit)
			}
		})
	}
}

func TestWaitingRequestsWhenTheProcessExits(t *testing.T) {
	dir := t.TempDir()
	s := startShim(t, protoHandler, "SHIM_TEST_DIR="+dir)
	s.waitReady()
	first := make(chan *response)
	go func() { first <- s.do("POST", "/", `{"action":"exit","code":"5","ms":"300"}`) }()
	waitMark(t, dir, "started-1")
	r := s.do("POST", "/", `{"action":"echo"}`).expect(503)
	if !strings.Contains(string(r.body), "retry") || r.header.Get("X-Lambda-Function-Error") != "" {
		t.Errorf("waiting request: %v %s", r.header, r.body)
	}
	(<-first).expect(502)
	if st := s.exitStatus(); st != 5 {
		t.Errorf("exit status %d, want 5", st)
	}
}

func TestTailLogs(t *testing.T) {
	s := startShim(t, protoHandler)
	s.waitReady()
	s.do("POST", "/", `{"action":"log","text":"earlier"}`).expect(200)
	for i := range 20 { // the tail must never miss output written before the answer
		text := fmt.Sprintf("line-%d", i)
		r := s.do("POST", "/", `{"action":"log","text":"`+text+`"}`, "X-Lambda-Log-Type", "Tail").expect(200)
		tail, err := base64.StdEncoding.DecodeString(r.header.Get("X-Lambda-Log-Result"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(tail), text+"\n") || !strings.Contains(string(tail), text+"-err\n") {
			t.Fatalf("tail %q lacks %s", tail, text)
		}
		if strings.Contains(string(tail), "earlier") {
			t.Fatalf("tail %q has another invocation's output", tail)
		}
	}
	if r := s.do("POST", "/", `{"action":"log","text":"x"}`); r.header.Get("X-Lambda-Log-Result") != "" {
		t.Error("X-Lambda-Log-Result without X-Lambda-Log-Type: Tail")
	}
	if !strings.Contains(s.stdout.String(), "line-19\n") || !strings.Contains(s.stderr.String(), "line-19-err\n") {
		t.Error("the function's output was not copied to the shim's")
	}
}

func TestSIGTERMFinishesInFlight(t *testing.T) {
	dir := t.TempDir()
	s := startShim(t, protoHandler, "SHIM_TEST_DIR="+dir)
	s.waitReady()
	done := make(chan *response)
	go func() { done <- s.do("POST", "/", `{"action":"sleep","ms":"400"}`) }()
	var early *response
	poll(t, "the function process to reach started-1", func() bool {
		if _, err := os.Stat(filepath.Join(dir, "started-1")); err == nil {
			return true
		}
		select {
		case early = <-done: // answered without reaching the function
			return true
		default:
			return false
		}
	})
	if early != nil {
		t.Fatalf("answered before the function started it: %d %s", early.status, early.body)
	}
	s.signals <- os.Interrupt
	(<-done).expect(200)
	if st := s.exitStatus(); st != 0 {
		t.Errorf("exit status %d, want 0", st)
	}
	if c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://")); err == nil {
		c.Close()
		t.Error("still listening after SIGTERM")
	}
}

// jsonEqual compares decoded JSON values.
func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
