package http

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// A key's first call runs and is kept whole; a repeat replays it without
// running the function, under the first call's ID; another payload is
// refused.
func TestInvokerIdempotentReplay(t *testing.T) {
	f := newInvokerFixture(t, time.Second)
	call := func(payload []byte) (*lambda.InvokeResult, error) {
		return f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: payload, IdempotencyKey: "k1", Trigger: lambda.TriggerAPI})
	}
	big := []byte(`{"pad":"` + strings.Repeat("x", 300<<10) + `"}`) // past what async records keep
	first, err := call(big)
	if err != nil || first.Replayed {
		t.Fatalf("first call: %+v %v", first, err)
	}
	if got := f.obs.take(); len(got) != 1 {
		t.Errorf("first call observed %d times", len(got))
	}
	job, err := f.jobs.FindJob(context.Background(), first.Invocation.ID)
	if err != nil || !job.Sync || job.Status != lambda.StatusSucceeded || job.Version != 7 || job.Trigger != lambda.TriggerAPI || len(job.PayloadHash) != 64 {
		t.Fatalf("job %+v, %v", job, err)
	}
	if len(job.History) != 1 || job.History[0].TraceID == "" || job.History[0].TraceID != first.Invocation.TraceID {
		t.Errorf("the stored attempt %+v does not name the trace %q", job.History, first.Invocation.TraceID)
	}
	second, err := call(big)
	if err != nil || !second.Replayed || second.Invocation.ID != first.Invocation.ID || string(second.Payload) != string(first.Payload) || second.StatusCode != 200 || second.Invocation.Version != 7 {
		t.Fatalf("repeat: replayed %v, ID %s (first %s), %d bytes (first %d), %v", second.Replayed, second.Invocation.ID, first.Invocation.ID, len(second.Payload), len(first.Payload), err)
	}
	if n := len(f.fn.seen()); n != 1 {
		t.Errorf("the function ran %d times, want 1", n)
	}
	if got := f.obs.take(); len(got) != 0 {
		t.Errorf("a replay was observed as an invocation: %+v", got)
	}
	if _, err := call([]byte(`{"other":1}`)); lambda.ErrorCode(err) != lambda.EIDEMPOTENCY {
		t.Errorf("another payload: %v, want %s", err, lambda.EIDEMPOTENCY)
	}
	// A function error is an answer, replayed as such.
	fail := func() (*lambda.InvokeResult, error) {
		return f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: event("fail"), IdempotencyKey: "k2"})
	}
	a, errA := fail()
	b, errB := fail()
	if errA != nil || errB != nil || !b.Replayed || b.FunctionError != "Unhandled" || b.StatusCode != 500 || string(b.Payload) != string(a.Payload) {
		t.Errorf("function error replayed as %+v, %v", b, errB)
	}
}

// While the first call of a key runs, a repeat is refused with its ID.
func TestInvokerIdempotentRunning(t *testing.T) {
	f := newInvokerFixture(t, 10*time.Second)
	type answer struct {
		res *lambda.InvokeResult
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: event("block"), IdempotencyKey: "slow", RequestID: "first-id"})
		done <- answer{res, err}
	}()
	<-f.fn.started
	_, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: event("block"), IdempotencyKey: "slow"})
	var ref *invocationRef
	if lambda.ErrorCode(err) != lambda.ECONFLICT || !errors.As(err, &ref) || ref.id != "first-id" || !strings.Contains(err.Error(), "first-id") {
		t.Errorf("repeat while running: %v, want %s naming first-id", err, lambda.ECONFLICT)
	}
	// Through the handler: 409 with the ID in a header.
	w := f.invokeHTTP("POST", "localhost", "/v1/functions/greet/invoke", string(event("block")), map[string]string{HeaderIdempotencyKey: "slow"})
	if w.Code != 409 || w.Header().Get(HeaderInvocationID) != "first-id" || !strings.Contains(w.Body.String(), "first-id") {
		t.Errorf("handler: %d %v %s", w.Code, w.Header(), w.Body)
	}
	close(f.fn.release)
	if a := <-done; a.err != nil || a.res.Invocation.ID != "first-id" {
		t.Errorf("first call: %+v %v", a.res, a.err)
	}
}

// A call that never reached the function (throttled, the platform down)
// frees its key: the next call with it runs. One that timed out did run:
// the repeat replays the timeout.
func TestInvokerIdempotentKeyFreed(t *testing.T) {
	f := newInvokerFixture(t, 200*time.Millisecond)
	call := func(do string) (*lambda.InvokeResult, error) {
		return f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: event(do), IdempotencyKey: "key-" + do})
	}
	f.router.failWith(lambda.Errorf(lambda.EUNAVAILABLE, "docker is unreachable"))
	if _, err := call(""); lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
		t.Fatalf("first call: %v", err)
	}
	f.router.failWith(nil)
	res, err := call("")
	if err != nil || res.Replayed || len(f.fn.seen()) != 1 {
		t.Fatalf("after the platform failed: %+v %v, %d runs; want a run", res, err, len(f.fn.seen()))
	}

	// Twice an instance that could not be reached: nothing ran.
	f.router.next = []string{deadAddr(t), deadAddr(t)}
	if _, err := call("gone"); lambda.ErrorCode(err) != lambda.EFUNCTION {
		t.Fatalf("unreachable instances: %v", err)
	}
	if res, err := call("gone"); err != nil || res.Replayed || len(f.fn.seen()) != 2 {
		t.Fatalf("after unreachable instances: %+v %v, %d runs; want a run", res, err, len(f.fn.seen()))
	}

	_, err = call("slow")
	if lambda.ErrorCode(err) != lambda.ETIMEOUT {
		t.Fatalf("slow: %v", err)
	}
	_, again := call("slow")
	var ref *invocationRef
	if lambda.ErrorCode(again) != lambda.ETIMEOUT || !errors.As(again, &ref) || !ref.replayed || lambda.ErrorMessage(again) != lambda.ErrorMessage(err) {
		t.Errorf("repeat of a timeout: %v, want the timeout replayed", again)
	}
	if n := len(f.fn.seen()); n != 3 {
		t.Errorf("the function ran %d times, want 3", n)
	}
}

func TestInvokerIdempotencyRefusals(t *testing.T) {
	f := newInvokerFixture(t, time.Second)
	noJobs := NewInvoker(f.router, discardLogger())
	tests := []struct {
		name string
		iv   *Invoker
		req  lambda.InvokeRequest
		code string
	}{
		{"no job store", noJobs, lambda.InvokeRequest{Function: "greet", IdempotencyKey: "k"}, lambda.ENOTIMPLEMENTED},
		{"key too long", f.iv, lambda.InvokeRequest{Function: "greet", IdempotencyKey: strings.Repeat("k", lambda.MaxIdempotencyKeyLength+1)}, lambda.EINVALID},
		{"payload not JSON", f.iv, lambda.InvokeRequest{Function: "greet", IdempotencyKey: "k", Payload: []byte("not json")}, lambda.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.iv.Invoke(context.Background(), &tt.req); lambda.ErrorCode(err) != tt.code {
				t.Errorf("error %v, want %s", err, tt.code)
			}
			if n := len(f.fn.seen()); n != 0 {
				t.Errorf("the function ran %d times", n)
			}
		})
	}
}
