package http

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// recordWant is what an invocation's record must say.
type recordWant struct {
	status     string
	httpStatus int
	errorType  string
	version    int // 7: the function ran; 0: it never got an instance
}

func checkRecord(t *testing.T, got []lambda.Invocation, trigger lambda.Trigger, want recordWant) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("%d invocations observed, want exactly 1: %+v", len(got), got)
	}
	rec := got[0]
	if rec.Status != want.status || rec.HTTPStatus != want.httpStatus || rec.ErrorType != want.errorType || rec.Version != want.version {
		t.Errorf("record %s %d %q v%d, want %s %d %q v%d", rec.Status, rec.HTTPStatus, rec.ErrorType, rec.Version, want.status, want.httpStatus, want.errorType, want.version)
	}
	if rec.Function == "" || rec.Trigger != trigger || len(rec.ID) != 36 || rec.Start.IsZero() || rec.Duration <= 0 || rec.Attempt != 1 {
		t.Errorf("record %+v, want function, trigger %s, an ID, start, duration and attempt 1", rec, trigger)
	}
	if ran := want.version != 0; ran && (!rec.Cold || rec.QueueWait != leaseWait) {
		t.Errorf("record cold %v, queue wait %s; want the lease's: cold, %s", rec.Cold, rec.QueueWait, leaseWait)
	}
}

// Every direct invocation, answered or not, is one record, handed to the
// observers once, with what the caller got and how the function fared.
func TestInvokerDirectRecords(t *testing.T) {
	// The function's timeout is long, so that no case but the slow one
	// runs into it on a loaded machine; the slow one shortens it per call.
	f := newInvokerFixture(t, 10*time.Second)
	ok := recordWant{lambda.StatusSucceeded, 200, "", 7}
	tests := []struct {
		name, function, do string
		trigger            lambda.Trigger
		code               string // the error's; "" for a result
		want               recordWant
		released           []bool // nil: not checked
	}{
		{"answer", "greet", "", lambda.TriggerInvoke, "", ok, []bool{false}},
		{"api", "greet", "", lambda.TriggerAPI, "", ok, nil},
		{"cron", "greet", "", lambda.TriggerCron, "", ok, nil},
		{"async", "greet", "", lambda.TriggerAsync, "", ok, nil},
		{"function error", "greet", "fail", lambda.TriggerInvoke, "", recordWant{lambda.StatusFailed, 500, lambda.EFUNCTION, 7}, []bool{false}},
		{"timeout answered by the shim", "greet", "shim-timeout", lambda.TriggerInvoke, "", recordWant{lambda.StatusFailed, 504, lambda.ETIMEOUT, 7}, []bool{true}},
		{"process died", "greet", "died", lambda.TriggerInvoke, "", recordWant{lambda.StatusFailed, 502, lambda.EFUNCTION, 7}, []bool{true}},
		{"past the deadline", "greet", "slow", lambda.TriggerInvoke, lambda.ETIMEOUT, recordWant{lambda.StatusFailed, 504, lambda.ETIMEOUT, 7}, []bool{true}},
		{"hangs up", "greet", "hangup", lambda.TriggerInvoke, lambda.EFUNCTION, recordWant{lambda.StatusFailed, 502, lambda.EFUNCTION, 7}, []bool{true}},
		{"answer breaks off", "greet", "broken", lambda.TriggerInvoke, lambda.EFUNCTION, recordWant{lambda.StatusFailed, 502, lambda.EFUNCTION, 7}, []bool{true}},
		{"answer over 6 MB", "greet", "big", lambda.TriggerInvoke, lambda.EFUNCTION, recordWant{lambda.StatusFailed, 502, lambda.EFUNCTION, 7}, []bool{false}},
		{"throttled", "busy", "", lambda.TriggerInvoke, lambda.ETHROTTLED, recordWant{lambda.StatusFailed, 429, lambda.ETHROTTLED, 0}, []bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.router.released = nil
			req := &lambda.InvokeRequest{Function: tt.function, Payload: event(tt.do), Trigger: tt.trigger}
			if tt.do == "slow" {
				req.Timeout = 300 * time.Millisecond
			}
			res, err := f.iv.Invoke(context.Background(), req)
			if lambda.ErrorCode(err) != tt.code {
				t.Fatalf("error %v, want code %q", err, tt.code)
			}
			if err == nil && (res.Invocation == nil || res.StatusCode != tt.want.httpStatus) {
				t.Fatalf("result %+v", res)
			}
			checkRecord(t, f.obs.take(), tt.trigger, tt.want)
			if tt.released != nil && !equalBools(f.released(), tt.released) {
				t.Errorf("leases released %v, want %v", f.released(), tt.released)
			}
		})
	}
	t.Run("unknown function: not observed", func(t *testing.T) {
		_, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "nosuch"})
		if lambda.ErrorCode(err) != lambda.ENOTFOUND {
			t.Errorf("error %v", err)
		}
		if got := f.obs.take(); len(got) != 0 {
			t.Errorf("observed %+v", got)
		}
	})
}

// The answer of a direct invocation: status, the function's own headers,
// the payload, the function error and the log tail, platform headers
// stripped.
func TestInvokerDirectResult(t *testing.T) {
	f := newInvokerFixture(t, time.Second)
	res, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: event("created"), LogTail: true, RequestID: "my-id"})
	if err != nil {
		t.Fatal(err)
	}
	h := res.Header
	if res.StatusCode != 201 || string(res.Payload) != "made" || h["X-Custom"][0] != "yes" || h["Content-Type"][0] != "text/plain" {
		t.Errorf("result %d %q %v", res.StatusCode, res.Payload, h)
	}
	for _, k := range []string{ErrorHeader, HeaderLogResult, HeaderRequestID, HeaderInstanceFailed, "Content-Length"} {
		if _, ok := h[k]; ok {
			t.Errorf("header %s passed as the function's", k)
		}
	}
	if want := "START RequestId: my-id Version: 7\nlog of my-id\nEND RequestId: my-id\nREPORT RequestId: my-id\t"; !strings.HasPrefix(string(res.LogTail), want) || res.Invocation.ID != "my-id" {
		t.Errorf("log tail %q, ID %q", res.LogTail, res.Invocation.ID)
	}
	call := f.fn.seen()[0]
	if call.header.Get(HeaderInvokeMode) != "raw" || call.header.Get(HeaderRequestID) != "my-id" || call.header.Get("Content-Type") != "application/json" {
		t.Errorf("the function got %v", call.header)
	}
	res, err = f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: event("fail")})
	if err != nil || res.FunctionError != "Unhandled" || !res.Failed() || !strings.Contains(string(res.Payload), "boom") {
		t.Errorf("function error: %+v, %v", res, err)
	}
}

// A per-call timeout shortens the function's for that call, never
// lengthens it: the deadline the function gets, and the invoker's own.
func TestInvokerCallTimeout(t *testing.T) {
	f := newInvokerFixture(t, time.Second)
	tests := []struct {
		name    string
		timeout time.Duration
		want    time.Duration
	}{
		{"none", 0, time.Second},
		{"shorter", 200 * time.Millisecond, 200 * time.Millisecond},
		{"longer", time.Minute, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			if _, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: event(""), Timeout: tt.timeout}); err != nil {
				t.Fatal(err)
			}
			calls := f.fn.seen()
			got := deadlineOf(calls[len(calls)-1]).Sub(start)
			if got < tt.want-50*time.Millisecond || got > tt.want+50*time.Millisecond {
				t.Errorf("deadline %s after the call, want %s", got, tt.want)
			}
		})
	}
	t.Run("enforced", func(t *testing.T) {
		start := time.Now()
		_, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: event("slow"), Timeout: 100 * time.Millisecond})
		if lambda.ErrorCode(err) != lambda.ETIMEOUT || !strings.Contains(err.Error(), "100ms") {
			t.Errorf("error %v, want a timeout after 100ms", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("gave up after %s", d) // catches "the function's timeout", not slowness
		}
	})
	t.Run("negative", func(t *testing.T) {
		_, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Timeout: -time.Second})
		if lambda.ErrorCode(err) != lambda.EINVALID {
			t.Errorf("error %v", err)
		}
	})
}

// Qualifiers go to the router, which sends the call to the version or
// alias they name; one that names neither is refused without running
// anything.
func TestInvokerQualifier(t *testing.T) {
	f := newInvokerFixture(t, time.Second)
	tests := []struct {
		qualifier, code, msgHas string
	}{
		{"", "", ""},
		{"$LATEST", "", ""},
		{"7", "", ""},
		{"3", "", ""},
		{"prod", "", ""},
		{"07", lambda.EINVALID, "not a version number"},
		{"Prod", lambda.EINVALID, "contains 'P'"},
		{"a--b", lambda.EINVALID, `"--"`},
	}
	for _, tt := range tests {
		t.Run(tt.qualifier, func(t *testing.T) {
			before := len(f.fn.seen())
			_, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Qualifier: tt.qualifier, Payload: event("")})
			if lambda.ErrorCode(err) != tt.code || (err != nil && !strings.Contains(err.Error(), tt.msgHas)) {
				t.Fatalf("error %v, want code %q with %q", err, tt.code, tt.msgHas)
			}
			if ran := len(f.fn.seen()) > before; ran != (tt.code == "") {
				t.Errorf("the function ran: %v", ran)
			}
			f.router.mu.Lock()
			defer f.router.mu.Unlock()
			if got := f.router.qualifiers; tt.code == "" && got[len(got)-1] != tt.qualifier {
				t.Errorf("the router was asked for qualifier %q", got[len(got)-1])
			}
		})
	}
}

// The gateway reads the qualifier of ALIAS--NAME.DOMAIN and
// /fn/NAME@ALIAS/… and hands it to the router; the function sees the
// path after the qualified name.
func TestGatewayQualifier(t *testing.T) {
	f := newInvokerFixture(t, time.Second)
	tests := []struct {
		host, target, qualifier, path string
		status                        int
	}{
		{"greet.localhost", "/x", "", "/x", 200},
		{"canary--greet.localhost", "/x", "canary", "/x", 200},
		{"3--greet.localhost", "/", "3", "/", 200},
		{"localhost", "/fn/greet@canary/a/b", "canary", "/a/b", 200},
		{"localhost", "/fn/greet@12", "12", "/", 200},
		{"localhost", "/fn/greet@", "", "", 400},
		{"localhost", "/fn/greet@Bad/x", "", "", 400},
		{"01--greet.localhost", "/", "", "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.host+tt.target, func(t *testing.T) {
			before := len(f.fn.seen())
			rec := f.invokeHTTP("GET", tt.host, tt.target, "", nil)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status != 200 {
				if len(f.fn.seen()) != before {
					t.Error("the function ran")
				}
				return
			}
			f.router.mu.Lock()
			got := f.router.qualifiers[len(f.router.qualifiers)-1]
			f.router.mu.Unlock()
			if got != tt.qualifier {
				t.Errorf("the router was asked for qualifier %q, want %q", got, tt.qualifier)
			}
			if seen := f.fn.seen(); seen[len(seen)-1].path != tt.path {
				t.Errorf("the function saw path %q, want %q", seen[len(seen)-1].path, tt.path)
			}
		})
	}
}

// A request that could not be delivered goes once more to another
// instance: one invocation, one record.
func TestInvokerRetriesUndelivered(t *testing.T) {
	f := newInvokerFixture(t, time.Second)
	live := f.router.backends["greet"]
	dead := deadAddr(t)
	tests := []struct {
		name     string
		next     []string
		code     string
		released []bool
	}{
		{"another instance answers", []string{dead, live}, "", []bool{true, false}},
		{"only once", []string{dead, dead}, lambda.EFUNCTION, []bool{true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.router.next, f.router.released = tt.next, nil
			res, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: []byte(`{"n":1}`)})
			if lambda.ErrorCode(err) != tt.code {
				t.Fatalf("error %v", err)
			}
			if err == nil && string(res.Payload) != `{"n":1}` {
				t.Errorf("answer %q", res.Payload)
			}
			if !equalBools(f.released(), tt.released) {
				t.Errorf("released %v, want %v", f.released(), tt.released)
			}
			if got := f.obs.take(); len(got) != 1 || got[0].QueueWait != 2*leaseWait {
				t.Errorf("observed %+v, want one record with both leases' wait", got)
			}
		})
	}
}

// A caller that goes away ends the invocation as canceled: the instance
// is released healthy and the record says 499.
func TestInvokerCallerGone(t *testing.T) {
	f := newInvokerFixture(t, 10*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-f.fn.started
		cancel()
	}()
	_, err := f.iv.Invoke(ctx, &lambda.InvokeRequest{Function: "greet", Payload: event("block")})
	close(f.fn.release)
	if !isCanceled(err) || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("error %v", err)
	}
	if !equalBools(f.released(), []bool{false}) {
		t.Errorf("released %v", f.released())
	}
	got := f.obs.take()
	if len(got) != 1 || got[0].HTTPStatus != 499 || got[0].ErrorType != errorTypeCanceled {
		t.Errorf("observed %+v", got)
	}
}

// Requests to a function's URL are observed once each too, once the
// answer is out: answered, failed, throttled or timed out.
func TestGatewayRecords(t *testing.T) {
	f := newInvokerFixture(t, 300*time.Millisecond)
	tests := []struct {
		name, host, path string
		status           int
		want             recordWant
	}{
		{"answer", "greet.localhost", "/", 200, recordWant{lambda.StatusSucceeded, 200, "", 7}},
		{"by path", "localhost", "/fn/greet/created", 201, recordWant{lambda.StatusSucceeded, 201, "", 7}},
		{"function error", "greet.localhost", "/fail", 500, recordWant{lambda.StatusFailed, 500, lambda.EFUNCTION, 7}},
		{"timeout answered by the shim", "greet.localhost", "/shim-timeout", 504, recordWant{lambda.StatusFailed, 504, lambda.ETIMEOUT, 7}},
		{"past the deadline", "greet.localhost", "/slow", 504, recordWant{lambda.StatusFailed, 504, lambda.ETIMEOUT, 7}},
		{"hangs up", "greet.localhost", "/hangup", 502, recordWant{lambda.StatusFailed, 502, lambda.EFUNCTION, 7}},
		{"throttled", "busy.localhost", "/", 429, recordWant{lambda.StatusFailed, 429, lambda.ETHROTTLED, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.invokeHTTP("GET", tt.host, tt.path, "", nil)
			if w.Code != tt.status {
				t.Fatalf("status %d %s", w.Code, w.Body)
			}
			got := f.obs.take()
			checkRecord(t, got, lambda.TriggerHTTP, tt.want)
			if len(got) == 1 && tt.want.version != 0 {
				if id := f.fn.seen()[len(f.fn.seen())-1].header.Get(HeaderRequestID); got[0].ID != id {
					t.Errorf("record ID %s, the function got %s", got[0].ID, id)
				}
			}
		})
	}
	t.Run("unknown function: not observed", func(t *testing.T) {
		if w := f.invokeHTTP("GET", "nosuch.localhost", "/", "", nil); w.Code != 404 {
			t.Errorf("status %d", w.Code)
		}
		if got := f.obs.take(); len(got) != 0 {
			t.Errorf("observed %+v", got)
		}
	})
}

// An answer that breaks off after its headers makes ReverseProxy abort
// the handler: the lease is still released once and the invocation
// observed once, as a function error.
func TestGatewayBrokenAnswerIsObserved(t *testing.T) {
	f := newInvokerFixture(t, time.Second)
	addr, handled := openGateway(t, f.s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = conn.Write([]byte("GET /fn/greet/broken HTTP/1.1\r\nHost: x\r\n\r\n"))
	waitFor(t, handled, "the handler to end")
	got := f.obs.take()
	if len(got) != 1 || got[0].Status != lambda.StatusFailed || got[0].ErrorType != lambda.EFUNCTION {
		t.Errorf("observed %+v, want one function error", got)
	}
	if len(f.released()) != 1 {
		t.Errorf("released %v, want once", f.released())
	}
}

// Private functions: a direct invocation was authorized by the route that
// took it (or the submission), so it runs without a key of its own.
func TestInvokerDirectIsAuthorized(t *testing.T) {
	f := newInvokerFixture(t, time.Second)
	priv := &privateRouter{fakeRouter: fakeRouter{backends: f.router.backends, timeout: time.Second}, private: map[string]bool{"greet": true}}
	iv := NewInvoker(priv, discardLogger())
	for _, trigger := range []lambda.Trigger{lambda.TriggerAsync, lambda.TriggerCron, lambda.TriggerInvoke} {
		if _, err := iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Trigger: trigger}); err != nil {
			t.Errorf("%s: %v", trigger, err)
		}
	}
}

// queueRouter never has a free instance: Acquire waits until the request
// ends, then says so as the engine does.
type queueRouter struct{}

func (queueRouter) Acquire(ctx context.Context, name string) (*lambda.Lease, error) {
	<-ctx.Done()
	return nil, lambda.Errorf(lambda.ETIMEOUT, "no instance of %q became free before the request ended: %w", name, ctx.Err())
}

// A caller that goes away while it waits for an instance is canceled, not
// a timeout of the function.
func TestInvokerCallerGoneWhileQueued(t *testing.T) {
	iv := NewInvoker(queueRouter{}, discardLogger())
	obs := &observerLog{}
	iv.Observers = lambda.Observers{obs}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := iv.Invoke(ctx, &lambda.InvokeRequest{Function: "greet"})
	if !isCanceled(err) {
		t.Errorf("error %v, want canceled", err)
	}
	if got := obs.take(); len(got) != 1 || got[0].HTTPStatus != 499 || got[0].ErrorType != errorTypeCanceled {
		t.Errorf("observed %+v", got)
	}
}
