package sdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fakeRuntime is a Runtime API like the shim's, driven by the test.
type fakeRuntime struct {
	srv *httptest.Server
	// gone ends the waiting /next requests by breaking their connections:
	// the runtime API going away (httptest's Close waits for them).
	gone     chan struct{}
	queue    chan *fakeInvocation
	initErrs chan errorDoc
	nexts    atomic.Int32
	seq      atomic.Int32

	mu      sync.Mutex
	pending map[string]*fakeInvocation
}

type fakeInvocation struct {
	id         string
	deadlineMS int64
	body       []byte
	done       chan fakeResult
	// clientContext, when set, is sent as Lambda-Runtime-Client-Context.
	clientContext string
}

type fakeResult struct {
	kind string // response or error
	body []byte
}

func newFakeRuntime(t *testing.T) *fakeRuntime {
	t.Helper()
	f := &fakeRuntime{queue: make(chan *fakeInvocation, 100), initErrs: make(chan errorDoc, 1), pending: map[string]*fakeInvocation{}, gone: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		f.nexts.Add(1)
		select {
		case inv := <-f.queue:
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			if inv.deadlineMS != 0 {
				w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(inv.deadlineMS))
			}
			if inv.clientContext != "" {
				w.Header().Set("Lambda-Runtime-Client-Context", inv.clientContext)
			}
			w.Write(inv.body)
		case <-r.Context().Done():
		case <-f.gone:
			panic(http.ErrAbortHandler)
		}
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/{kind}", func(w http.ResponseWriter, r *http.Request) {
		kind := r.PathValue("kind")
		f.mu.Lock()
		inv, ok := f.pending[r.PathValue("id")]
		delete(f.pending, r.PathValue("id"))
		f.mu.Unlock()
		if !ok || (kind != "response" && kind != "error") {
			http.Error(w, `{"errorMessage":"unknown","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		inv.done <- fakeResult{kind: kind, body: body}
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		var doc errorDoc
		json.NewDecoder(r.Body).Decode(&doc)
		f.initErrs <- doc
		w.WriteHeader(http.StatusAccepted)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRuntime) api() string { return strings.TrimPrefix(f.srv.URL, "http://") }

func (f *fakeRuntime) getenv(extra map[string]string) func(string) string {
	return func(k string) string {
		if k == "AWS_LAMBDA_RUNTIME_API" {
			return f.api()
		}
		return extra[k]
	}
}

// send queues an invocation with the body as is.
func (f *fakeRuntime) send(body []byte, deadlineMS int64) *fakeInvocation {
	return f.sendClientContext(body, deadlineMS, "")
}

// sendClientContext is send with a client context, as a Lambda Invoke API
// call with one.
func (f *fakeRuntime) sendClientContext(body []byte, deadlineMS int64, clientContext string) *fakeInvocation {
	inv := &fakeInvocation{id: fmt.Sprintf("req-%d", f.seq.Add(1)), deadlineMS: deadlineMS, body: body, done: make(chan fakeResult, 1), clientContext: clientContext}
	f.mu.Lock()
	f.pending[inv.id] = inv
	f.mu.Unlock()
	f.queue <- inv
	return inv
}

// invoke queues a raw-mode envelope of event and waits for its result.
func (f *fakeRuntime) invoke(t *testing.T, event string) fakeResult {
	t.Helper()
	return f.send(envelopeJSON(t, event, nil), 0).wait(t)
}

func (inv *fakeInvocation) wait(t *testing.T) fakeResult {
	t.Helper()
	select {
	case r := <-inv.done:
		return r
	case <-time.After(10 * time.Second):
		t.Fatalf("invocation %s got no result", inv.id)
		return fakeResult{}
	}
}

func (f *fakeRuntime) initError(t *testing.T) errorDoc {
	t.Helper()
	select {
	case d := <-f.initErrs:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no init error was posted")
		return errorDoc{}
	}
}

// errorDoc decodes an error result, failing when it is a response.
func (r fakeResult) errorDoc(t *testing.T) errorDoc {
	t.Helper()
	if r.kind != "error" {
		t.Fatalf("got a %s %s, want an error", r.kind, r.body)
	}
	var d errorDoc
	if err := json.Unmarshal(r.body, &d); err != nil {
		t.Fatalf("error body %s: %v", r.body, err)
	}
	if d.StackTrace == nil {
		t.Errorf("error body %s has no stackTrace array", r.body)
	}
	return d
}

func (r fakeResult) response(t *testing.T) string {
	t.Helper()
	if r.kind != "response" {
		t.Fatalf("got an %s %s, want a response", r.kind, r.body)
	}
	return string(r.body)
}

// envelopeJSON wraps event as the shim's handler protocol does.
func envelopeJSON(t *testing.T, event string, req *Request) []byte {
	t.Helper()
	ctx := map[string]any{"function_name": "fn", "function_version": "7", "invocation_id": "inv-1",
		"deadline_ms": time.Now().Add(time.Minute).UnixMilli(), "memory_limit_mb": 256, "request": req}
	b, err := json.Marshal(map[string]any{"event": json.RawMessage(event), "context": ctx})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// syncBuffer is a bytes.Buffer safe for the loop's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a process served in a goroutine.
type running struct {
	sig            chan os.Signal
	done           chan int
	stdout, stderr *syncBuffer
}

// testProcess returns a process using f's Runtime API.
func testProcess(f *fakeRuntime, env map[string]string) (*process, *running) {
	r := &running{sig: make(chan os.Signal, 1), done: make(chan int, 1), stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	getenv := func(string) string { return "" }
	if f != nil {
		getenv = f.getenv(env)
	}
	p := &process{args: []string{"/var/task/fn"}, getenv: getenv, stdout: r.stdout, stderr: r.stderr, signals: r.sig,
		drainTimeout: 2 * time.Second, stopTimeout: 2 * time.Second}
	return p, r
}

// goRun runs main in a goroutine; the process is stopped at the end of
// the test if it is still running.
func goRun(t *testing.T, r *running, main func() int) *running {
	t.Helper()
	go func() { r.done <- main() }()
	t.Cleanup(func() {
		select {
		case r.sig <- os.Interrupt:
		default:
		}
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Error("the process did not stop")
		}
	})
	return r
}

// serveHandler serves a Start handler on f.
func serveHandler(t *testing.T, f *fakeRuntime, handler any, opts ...Option) *running {
	t.Helper()
	p, r := testProcess(f, nil)
	return goRun(t, r, func() int { return p.start(handler, opts) })
}

// serveFunction serves a Run Function on f.
func serveFunction(t *testing.T, f *fakeRuntime, fn Function, opts ...Option) *running {
	t.Helper()
	p, r := testProcess(f, nil)
	return goRun(t, r, func() int { return p.run(fn, opts) })
}

func (r *running) exit(t *testing.T) int {
	t.Helper()
	select {
	case code := <-r.done:
		r.done <- code // for the cleanup
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("the process did not exit")
		return -1
	}
}

func (r *running) stop() { r.sig <- syscall.SIGTERM }
