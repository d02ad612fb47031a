package http

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// shimRouter hands out leases of instances that run the shim, whose word
// on memory and crashes the invoker believes.
type shimRouter struct{ *leaseRouter }

func (s shimRouter) Acquire(ctx context.Context, name string) (*lambda.Lease, error) {
	lease, err := s.leaseRouter.Acquire(ctx, name)
	if lease != nil {
		lease.Shim = true
	}
	return lease, err
}

// crashFunction answers as the shim does for a function process that
// died during the invocation, or ends the connection as a dying instance
// does, or answers a handled error.
func crashFunction(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h := w.Header()
	switch {
	case strings.Contains(string(body), "hangup") || r.URL.Path == "/hangup":
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	case strings.Contains(string(body), "handled") || r.URL.Path == "/handled":
		h.Set(HeaderFunctionError, "Unhandled")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"errorMessage":"boom","errorType":"Error"}`)
	default:
		h.Set(HeaderFunctionError, "Unhandled")
		h.Set(HeaderInstanceFailed, "the function process exited with status 2")
		h.Set(HeaderRuntimeExit, "exit status 2")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, `{"errorMessage":"exit 2","errorType":"Runtime.ExitError"}`)
	}
}

// failureFixture is an invoker and a gateway over fn, on leases of
// instances that run the shim when shim is set.
func failureFixture(t *testing.T, timeout time.Duration, fn http.Handler, shim bool) (*Invoker, *gateway, *observerLog) {
	t.Helper()
	f := newInvokerFixture(t, timeout)
	if fn != nil {
		srv := httptest.NewServer(fn)
		t.Cleanup(srv.Close)
		f.router.fakeRouter.backends["greet"] = srv.Listener.Addr().String()
	}
	var router lambda.Router = f.router
	if shim {
		router = shimRouter{f.router}
	}
	iv := NewInvoker(router, discardLogger())
	obs := &observerLog{}
	iv.Observers = lambda.Observers{obs}
	return iv, newGateway(iv, clientLimits{}), obs
}

// A crash is told from a handled error in the record (RuntimeExit), on
// both paths, from the shim's X-Lambda-Runtime-Exit, which the caller never
// sees and an http function (no shim) cannot set; an instance that breaks
// the connection crashed without saying how.
func TestInvokerRecordsCrash(t *testing.T) {
	for _, c := range []struct {
		name string
		do   string
		shim bool
		want string
	}{
		{"the shim's word", "crash", true, "exit status 2"},
		{"an http function's header is not believed", "crash", false, ""},
		{"the connection broke", "hangup", true, lambda.RuntimeExitUnknown},
		{"the connection of an http function broke", "hangup", false, lambda.RuntimeExitUnknown},
		{"a handled error", "handled", true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			iv, g, obs := failureFixture(t, time.Second, http.HandlerFunc(crashFunction), c.shim)
			res, _ := iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: []byte(`{"do":"` + c.do + `"}`)})
			if res != nil && http.Header(res.Header).Get(HeaderRuntimeExit) != "" {
				t.Errorf("the caller got %s", HeaderRuntimeExit)
			}
			w := httptest.NewRecorder()
			g.serve(w, httptest.NewRequest(http.MethodGet, "/fn/greet/"+c.do, nil), "greet", "/fn/greet")
			if v := w.Header().Get(HeaderRuntimeExit); v != "" {
				t.Errorf("the gateway passed %s %q to the client", HeaderRuntimeExit, v)
			}
			got := obs.take()
			if len(got) != 2 {
				t.Fatalf("%d invocations observed, want 2", len(got))
			}
			for i, rec := range got {
				if rec.RuntimeExit != c.want || rec.ErrorType != lambda.EFUNCTION {
					t.Errorf("path %d: runtime exit %q, error type %q; want %q, %s", i, rec.RuntimeExit, rec.ErrorType, c.want, lambda.EFUNCTION)
				}
				report := lambda.ReportLine(&rec)
				if crash := strings.HasSuffix(report, "\tStatus: error\tError Type: Runtime.ExitError\t"); crash != (c.want != "") {
					t.Errorf("path %d: REPORT %q", i, report)
				}
			}
		})
	}
}

// A timeout's REPORT is billed the function's timeout, not the invoker's
// wait past it for the shim's answer (timeoutSlack), and its failure line
// says that timeout, a per-call one when shorter, on both paths.
func TestInvokerTimeoutReport(t *testing.T) {
	const timeout = 200 * time.Millisecond
	iv, g, obs := failureFixture(t, timeout, nil, false)
	for _, c := range []struct {
		name    string
		perCall time.Duration
		want    time.Duration
	}{
		{"the function's timeout", 0, timeout},
		{"a shorter per-call timeout", 100 * time.Millisecond, 100 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: event("slow"), Timeout: c.perCall, RequestID: "slow-1"})
			if lambda.ErrorCode(err) != lambda.ETIMEOUT {
				t.Fatalf("err %v, want a timeout", err)
			}
			checkTimeoutRecord(t, obs.take(), c.want)
		})
	}
	t.Run("the gateway", func(t *testing.T) {
		w := httptest.NewRecorder()
		g.serve(w, httptest.NewRequest(http.MethodGet, "/fn/greet/slow", nil), "greet", "/fn/greet")
		if w.Code != http.StatusGatewayTimeout {
			t.Errorf("status %d", w.Code)
		}
		checkTimeoutRecord(t, obs.take(), timeout)
	})
	t.Run("the shim's answer", func(t *testing.T) {
		if _, err := iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: event("shim-timeout")}); err != nil {
			t.Fatal(err)
		}
		checkTimeoutRecord(t, obs.take(), timeout)
	})
}

func checkTimeoutRecord(t *testing.T, got []lambda.Invocation, timeout time.Duration) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("%d invocations observed, want 1", len(got))
	}
	rec := &got[0]
	if rec.ErrorType != lambda.ETIMEOUT || rec.Timeout != timeout {
		t.Fatalf("error type %q, timeout %s; want %s, %s", rec.ErrorType, rec.Timeout, lambda.ETIMEOUT, timeout)
	}
	report := lambda.ReportLine(rec)
	if want := fmt.Sprintf("\tDuration: %d.00 ms\tBilled Duration: %d ms\t", timeout.Milliseconds(), timeout.Milliseconds()); !strings.Contains(report, want) || !strings.HasSuffix(report, "\tStatus: timeout\t") {
		t.Errorf("REPORT %q, want %q and Status: timeout", report, want)
	}
	line, ok := lambda.FailureLine(rec)
	if want := fmt.Sprintf(" %s Task timed out after %.2f seconds", rec.ID, timeout.Seconds()); !ok || !strings.HasSuffix(line, want) {
		t.Errorf("failure line %q, want it to end with %q", line, want)
	}
}
