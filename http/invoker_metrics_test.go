package http

import (
	"context"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// The record carries what the metrics count by: a throttle's reason, and a
// cold start's cost without an async job's time in the queue.
func TestRecordThrottleReasonAndInitDuration(t *testing.T) {
	f := newInvokerFixture(t, 5*time.Second)

	f.router.failWith(lambda.Throttled(lambda.ThrottleQueueFull, `function "greet" is at capacity`))
	if _, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: event("")}); lambda.ErrorCode(err) != lambda.ETHROTTLED {
		t.Fatalf("error %v, want throttled", err)
	}
	if w := f.invokeHTTP("GET", "greet.localhost", "/", "", nil); w.Code != 429 {
		t.Fatalf("gateway: %d, want 429", w.Code)
	}
	for _, rec := range f.obs.take() {
		if rec.ErrorType != lambda.ETHROTTLED || rec.ThrottleReason != lambda.ThrottleQueueFull {
			t.Errorf("%s record: error type %q reason %q, want throttled for %q", rec.Trigger, rec.ErrorType, rec.ThrottleReason, lambda.ThrottleQueueFull)
		}
	}

	f.router.failWith(nil)
	const queued = 5 * time.Second
	if _, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: event(""), Trigger: lambda.TriggerAsync, QueueWait: queued}); err != nil {
		t.Fatal(err)
	}
	if w := f.invokeHTTP("GET", "greet.localhost", "/", "", nil); w.Code != 200 {
		t.Fatalf("gateway: %d", w.Code)
	}
	got := f.obs.take()
	if len(got) != 2 {
		t.Fatalf("%d records, want 2", len(got))
	}
	for _, rec := range got {
		if !rec.Cold || rec.InitDuration != leaseWait || rec.ThrottleReason != "" {
			t.Errorf("%s record: cold %v, init duration %s, reason %q; want cold, %s (the lease's wait), none", rec.Trigger, rec.Cold, rec.InitDuration, rec.ThrottleReason, leaseWait)
		}
	}
	if got[0].QueueWait != queued+leaseWait {
		t.Errorf("async queue wait %s, want %s: the queue and the lease", got[0].QueueWait, queued+leaseWait)
	}
}
