package http

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// An invocation whose instance the kernel killed at its memory limit is
// out_of_memory everywhere: the caller's error, the record's error type,
// Lambda's REPORT (Error Type: Runtime.OutOfMemory) and failure line, and
// the Invoke API's error document (errorType Runtime.OutOfMemory, as on
// Lambda), while it stays a function error (502, X-Amz-Function-Error).
func TestInvokerOutOfMemory(t *testing.T) {
	s, fr := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	oom := lambda.Errorf(lambda.EOUTOFMEMORY, `function "greet" ran out of memory (limit 32m) and was stopped`)
	iv := NewInvoker(&diagnosingRouter{fakeRouter: fr, why: oom}, discardLogger())
	obs := &observerLog{}
	iv.Observers = lambda.Observers{obs}

	_, err := iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: []byte(`{}`), RequestID: "oom-1"})
	if lambda.ErrorCode(err) != lambda.EOUTOFMEMORY || lambda.ErrorMessage(err) != oom.Message {
		t.Fatalf("Invoke = %v, want the lease's out-of-memory diagnosis", err)
	}
	got := obs.take()
	if len(got) != 1 {
		t.Fatalf("%d invocations observed, want 1", len(got))
	}
	rec := got[0]
	if rec.ErrorType != lambda.EOUTOFMEMORY || rec.Status != lambda.StatusFailed {
		t.Errorf("record: status %q, error type %q; want failed, %s", rec.Status, rec.ErrorType, lambda.EOUTOFMEMORY)
	}
	if report := lambda.ReportLine(&rec); !strings.HasSuffix(report, "\tStatus: error\tError Type: Runtime.OutOfMemory\t") {
		t.Errorf("REPORT %q, want Error Type: Runtime.OutOfMemory", report)
	}
	if line, _ := lambda.FailureLine(&rec); line != "RequestId: "+rec.ID+" Error: Runtime exited with error: signal: killed" {
		t.Errorf("failure line %q", line)
	}
	if status := ErrorStatus(err); status != http.StatusBadGateway {
		t.Errorf("gateway status %d, want 502", status)
	}

	w := httptest.NewRecorder()
	inv := &lambdaInvocation{requestID: "oom-1", version: 3}
	s.writeLambdaError(w, httptest.NewRequest(http.MethodPost, "/2015-03-31/functions/greet/invocations", nil), inv, err)
	var body functionErrorBody
	if e := json.NewDecoder(w.Body).Decode(&body); e != nil {
		t.Fatal(e)
	}
	if w.Code != 200 || w.Header().Get(amzFunctionError) != "Unhandled" || body.ErrorType != "Runtime.OutOfMemory" ||
		body.ErrorMessage != "RequestId: oom-1 Error: "+oom.Message {
		t.Errorf("Invoke API: %d %s=%q %+v; want 200, Unhandled, errorType Runtime.OutOfMemory", w.Code, amzFunctionError, w.Header().Get(amzFunctionError), body)
	}
}

// The client reads an out_of_memory answer as such (its 502 alone reads
// as function_error, the code that answers 502).
func TestClientReadsOutOfMemory(t *testing.T) {
	e := parseErrorBody([]byte(`{"error":{"code":"out_of_memory","message":"function \"x\" ran out of memory"}}`))
	if e == nil || e.Code != lambda.EOUTOFMEMORY {
		t.Errorf("parseErrorBody = %+v, want out_of_memory", e)
	}
	if code := codeFromStatus(http.StatusBadGateway); code != lambda.EFUNCTION {
		t.Errorf("codeFromStatus(502) = %s, want %s", code, lambda.EFUNCTION)
	}
}
