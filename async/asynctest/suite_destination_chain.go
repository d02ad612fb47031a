package asynctest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// testDestinationChainStops: two functions that name each other as
// on_failure (a cycle the engine refuses to configure, but that settings
// changed while records are in flight can still form) send records back
// and forth MaxDestinationDepth times, then the chain stops and the last
// job says why; every other job names the invocation it queued.
func testDestinationChainStops(t *testing.T, e *env) {
	e.deploy("loop-a", lambda.Scaling{MaxRetries: intp(0), OnFailure: "loop-b"})
	e.deploy("loop-b", lambda.Scaling{MaxRetries: intp(0), OnFailure: "loop-a"})
	e.inv.On("loop-a", Fail("a"))
	e.inv.On("loop-b", Fail("b"))
	e.open(e.q)
	first := e.submit("loop-a", `{"start":true}`)

	// The chain's jobs alternate: loop-a at even depths, loop-b at odd.
	job := first
	var depths []int
	for depth := 0; ; depth++ {
		d := e.waitStatus(job.ID, lambda.StatusDead)
		depths = append(depths, d.Depth)
		if want := []string{"loop-a", "loop-b"}[depth%2]; d.Function != want || d.Depth != depth {
			t.Fatalf("job %d of the chain: function %s depth %d, want %s depth %d", depth, d.Function, d.Depth, want, depth)
		}
		dst := d.Destination
		if dst == nil || dst.Setting != "on_failure" || dst.Condition != "RetriesExhausted" || dst.Function != []string{"loop-b", "loop-a"}[depth%2] {
			t.Fatalf("job at depth %d: destination %+v", depth, dst)
		}
		if depth == lambda.MaxDestinationDepth {
			if dst.ID != "" || !strings.Contains(dst.Error, fmt.Sprintf("chains stop after %d", lambda.MaxDestinationDepth)) {
				t.Errorf("the last job of the chain: destination %+v, want not delivered, saying the chain stopped", dst)
			}
			break
		}
		if dst.ID == "" || dst.Error != "" {
			t.Fatalf("job at depth %d: destination %+v, want delivered", depth, dst)
		}
		job = e.find(dst.ID)
	}
	a, errA := e.q.ListJobs(e.ctx, lambda.JobFilter{Function: "loop-a"})
	b, errB := e.q.ListJobs(e.ctx, lambda.JobFilter{Function: "loop-b"})
	if errA != nil || errB != nil {
		t.Fatalf("ListJobs: %v %v", errA, errB)
	}
	if n := len(a) + len(b); n != lambda.MaxDestinationDepth+1 {
		t.Errorf("%d jobs in the loop (loop-a %d, loop-b %d), want %d", n, len(a), len(b), lambda.MaxDestinationDepth+1)
	}
	for _, j := range slices.Concat(a, b) {
		if j.Depth > lambda.MaxDestinationDepth {
			t.Errorf("job %s at depth %d", j.ID, j.Depth)
		}
	}
	if n := len(e.inv.Requests("loop-a")) + len(e.inv.Requests("loop-b")); n != lambda.MaxDestinationDepth+1 {
		t.Errorf("the loop ran %d times, want %d", n, lambda.MaxDestinationDepth+1)
	}
}

// testDestinationRecordCut: a record around an event near the 1 MB limit
// would not fit in an asynchronous event: its request payload is cut into
// a JSON string of its first bytes, flagged in the record and in the job,
// and the record obeys the limit.
func testDestinationRecordCut(t *testing.T, e *env) {
	e.deploy("big-event", lambda.Scaling{OnSuccess: "big-dest"})
	e.deploy("big-dest", lambda.Scaling{})
	e.inv.On("big-event", Succeed(`{"ok":true}`))
	e.open(e.q)
	payload := `{"d":"` + strings.Repeat("x", lambda.MaxAsyncPayloadBytes-8) + `"}`
	j := e.submit("big-event", payload)
	d := e.waitStatus(j.ID, lambda.StatusSucceeded)
	if dst := d.Destination; dst == nil || !dst.Truncated || dst.ID == "" || dst.Error != "" {
		t.Fatalf("job's destination: %+v, want delivered and truncated", dst)
	}
	got := e.inv.WaitRequests(t, "big-dest", 1)[0]
	if n := len(got.Request.Payload); n > lambda.MaxAsyncPayloadBytes {
		t.Errorf("the record is %d bytes, over the %d-byte limit", n, lambda.MaxAsyncPayloadBytes)
	}
	rec := destinationRecord(t, e, "big-dest", 1)
	var text string
	if err := json.Unmarshal(rec.RequestPayload, &text); err != nil || !strings.HasPrefix(text, `{"d":"xxx`) || len(text) < lambda.MaxAsyncPayloadBytes-1024 {
		t.Errorf("cut request payload: %d bytes %.20s (%v); want a JSON string of the event's first bytes, nearly all of them", len(text), text, err)
	}
	if !rec.RequestPayloadTruncated || rec.ResponsePayloadTruncated || string(rec.ResponsePayload) != `{"ok":true}` {
		t.Errorf("record flags request %v response %v, response payload %s; want only the request cut", rec.RequestPayloadTruncated, rec.ResponsePayloadTruncated, rec.ResponsePayload)
	}
	if rec.RequestContext.RequestID != j.ID {
		t.Errorf("record's request ID %q, want %q", rec.RequestContext.RequestID, j.ID)
	}
}
