package http

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// observerLog keeps a copy of every invocation it is handed.
type observerLog struct {
	mu  sync.Mutex
	got []lambda.Invocation
}

func (o *observerLog) ObserveInvocation(inv *lambda.Invocation) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, *inv)
}

// take returns what was observed since the last take.
func (o *observerLog) take() []lambda.Invocation {
	o.mu.Lock()
	defer o.mu.Unlock()
	got := o.got
	o.got = nil
	return got
}

// leaseRouter wraps fakeRouter: its leases are cold and waited for, and
// fail, when set, is every Acquire's error.
type leaseRouter struct {
	*fakeRouter
	mu   sync.Mutex
	fail error
	// qualifiers are those the leases were asked with (lambda.QualifierFrom).
	qualifiers []string
}

const leaseWait = 3 * time.Millisecond

func (l *leaseRouter) Acquire(ctx context.Context, name string) (*lambda.Lease, error) {
	l.mu.Lock()
	fail := l.fail
	l.qualifiers = append(l.qualifiers, lambda.QualifierFrom(ctx))
	l.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	lease, err := l.fakeRouter.Acquire(ctx, name)
	if err != nil {
		return nil, err
	}
	lease.Cold, lease.Wait = true, leaseWait
	return lease, nil
}

func (l *leaseRouter) failWith(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail = err
}

// fnCall is what the fake function saw of one request.
type fnCall struct {
	header http.Header
	body   string
	path   string
	at     time.Time
}

// fakeFunction answers as the shim or a function would, by the "do" field
// of a direct invocation's event or by the path of an HTTP request.
type fakeFunction struct {
	mu      sync.Mutex
	calls   []fnCall
	release chan struct{} // "block" waits for it
	started chan struct{} // "block" signals here
}

func (f *fakeFunction) seen() []fnCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fnCall(nil), f.calls...)
}

func (f *fakeFunction) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.calls = append(f.calls, fnCall{header: r.Header.Clone(), body: string(body), path: r.URL.Path, at: time.Now()})
	f.mu.Unlock()
	do := strings.TrimPrefix(r.URL.Path, "/")
	if r.Header.Get(HeaderInvokeMode) == "raw" {
		var event struct{ Do string }
		_ = json.Unmarshal(body, &event)
		do = event.Do
	}
	h := w.Header()
	h.Set(HeaderRequestID, r.Header.Get(HeaderRequestID))
	if r.Header.Get(HeaderLogType) == "Tail" {
		h.Set(HeaderLogResult, base64.StdEncoding.EncodeToString([]byte("log of "+r.Header.Get(HeaderRequestID))))
	}
	switch do {
	case "fail":
		h.Set(HeaderFunctionError, "Unhandled")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"errorMessage":"boom","errorType":"Error"}`)
	case "shim-timeout":
		h.Set(HeaderFunctionError, "Unhandled")
		h.Set(HeaderInstanceFailed, "timed out")
		w.WriteHeader(http.StatusGatewayTimeout)
		_, _ = io.WriteString(w, `{"errorMessage":"Task timed out","errorType":"Timeout"}`)
	case "died":
		h.Set(HeaderFunctionError, "Unhandled")
		h.Set(HeaderInstanceFailed, "the function process exited with status 2")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, `{"errorMessage":"exit 2","errorType":"Runtime.ExitError"}`)
	case "created":
		h.Set("X-Custom", "yes")
		h.Set(ErrorHeader, lambda.ENOTFOUND) // never passes for the platform's
		h.Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "made")
	case "slow":
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	case "block":
		f.started <- struct{}{}
		<-f.release
		_, _ = io.WriteString(w, `{"blocked":true}`)
	case "hangup":
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	case "broken":
		// Promises 1000 bytes, sends 10, and hangs up.
		h.Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "0123456789")
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	case "big":
		chunk := strings.Repeat("x", 1<<20)
		for range 7 {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	default:
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
}

// invokerFixture is an Invoker and a Server over a fake function, greet,
// whose leases are cold and took leaseWait; busy is throttled, nosuch
// does not exist.
type invokerFixture struct {
	fn     *fakeFunction
	router *leaseRouter
	iv     *Invoker
	s      *Server
	obs    *observerLog
	jobs   *fakeJobStore
}

func newInvokerFixture(t *testing.T, timeout time.Duration) *invokerFixture {
	t.Helper()
	fn := &fakeFunction{release: make(chan struct{}), started: make(chan struct{}, 1)}
	srv := httptest.NewServer(fn)
	t.Cleanup(srv.Close)
	r := &leaseRouter{fakeRouter: &fakeRouter{backends: map[string]string{"greet": srv.Listener.Addr().String()}, timeout: timeout}}
	f := &invokerFixture{fn: fn, router: r, obs: &observerLog{}, jobs: newFakeJobStore()}
	f.iv = NewInvoker(r, discardLogger())
	f.iv.Observers = lambda.Observers{f.obs}
	f.iv.Jobs = f.jobs
	f.s = openForTest(NewServer())
	f.s.Router, f.s.Invoker, f.s.Logger = r, f.iv, f.iv.logger
	return f
}

// released returns how the leases taken so far were released.
func (f *invokerFixture) released() []bool {
	_, released := f.router.counts()
	return released
}

// invokeHTTP sends a request through the server's handler.
func (f *invokerFixture) invokeHTTP(method, host, target, body string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Host = host
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.s.Handler().ServeHTTP(w, req)
	return w
}

// event is a direct invocation's event for the fake function.
func event(do string) []byte { return []byte(`{"do":"` + do + `"}`) }

// deadlineOf reads the deadline a request carried to the function.
func deadlineOf(c fnCall) time.Time {
	ms, _ := strconv.ParseInt(c.header.Get(HeaderDeadline), 10, 64)
	return time.UnixMilli(ms)
}
