package asynctest

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// nothingQueued fails the test if function has any job.
func nothingQueued(t *testing.T, e *env, function, after string) {
	t.Helper()
	jobs, err := e.q.ListJobs(e.ctx, lambda.JobFilter{Function: function})
	if err != nil {
		t.Fatalf("ListJobs: %v", err)
	}
	counts, err := e.jobs.CountJobs(e.ctx)
	if err != nil {
		t.Fatalf("CountJobs: %v", err)
	}
	n := 0
	for _, c := range counts[function] {
		n += c
	}
	if len(jobs) != 0 || n != 0 {
		t.Errorf("after %s: %d jobs listed, %d counted; want none", after, len(jobs), n)
	}
}

// testIdempotency: the same key returns the same job (no second run); a
// different payload is refused; after the window the key is free.
func testIdempotency(t *testing.T, e *env) {
	fn := "idempotent"
	e.deploy(fn, lambda.Scaling{})
	e.open(e.q)
	req := func(payload string) *lambda.InvokeRequest {
		return &lambda.InvokeRequest{Function: fn, Payload: []byte(payload), IdempotencyKey: "order-17"}
	}
	first, created, err := e.q.Submit(e.ctx, req(`{"order":17}`))
	if err != nil || !created {
		t.Fatalf("Submit: created %v, %v", created, err)
	}
	e.waitStatus(first.ID, lambda.StatusSucceeded)
	e.clock.Advance(time.Hour)
	again, created, err := e.q.Submit(e.ctx, req(`{"order":17}`))
	if err != nil || created || again.ID != first.ID || again.Status != lambda.StatusSucceeded {
		t.Fatalf("Submit again: %v created %v %v; want job %s, not created", again, created, err, first.ID)
	}
	if _, _, err := e.q.Submit(e.ctx, req(`{"order":18}`)); code(err) != lambda.EIDEMPOTENCY {
		t.Errorf("Submit with another payload: %v, want %s", err, lambda.EIDEMPOTENCY)
	} else if !strings.Contains(err.Error(), first.ID) {
		t.Errorf("the refusal %q does not name the invocation %s", err, first.ID)
	}
	// The same payload for a pinned version is another request too.
	pinned := req(`{"order":17}`)
	pinned.Qualifier = "1"
	if _, _, err := e.q.Submit(e.ctx, pinned); code(err) != lambda.EIDEMPOTENCY {
		t.Errorf("Submit with another qualifier: %v, want %s", err, lambda.EIDEMPOTENCY)
	}
	settle()
	if n := len(e.inv.Requests(fn)); n != 1 {
		t.Errorf("the function ran %d times, want 1", n)
	}
	if jobs, _ := e.q.ListJobs(e.ctx, lambda.JobFilter{Function: fn}); len(jobs) != 1 {
		t.Errorf("%d jobs, want 1", len(jobs))
	}
	// The window counts from the first job's creation: 24 h later the key
	// names nothing and the other payload is a new job.
	e.clock.Advance(lambda.IdempotencyWindow - time.Hour)
	later, created, err := e.q.Submit(e.ctx, req(`{"order":18}`))
	if err != nil || !created || later.ID == first.ID {
		t.Fatalf("Submit after the window: %v created %v %v; want a new job", later, created, err)
	}
	e.waitStatus(later.ID, lambda.StatusSucceeded)
}

// testQueueLimit: past MaxQueued pending jobs, Submit is throttled and
// stores nothing.
func testQueueLimit(t *testing.T, e *env) {
	fn := "limited"
	e.deploy(fn, lambda.Scaling{})
	e.q.MaxQueued = 2
	e.submit(fn, `{}`)
	e.submit(fn, `{}`)
	if _, _, err := e.q.Submit(e.ctx, &lambda.InvokeRequest{Function: fn}); code(err) != lambda.ETHROTTLED {
		t.Errorf("third Submit: %v, want throttled", err)
	}
	counts, _ := e.jobs.CountJobs(e.ctx)
	if n := counts[fn][lambda.StatusQueued]; n != 2 {
		t.Errorf("%d queued, want 2", n)
	}
	// Once they ran, there is room again.
	e.open(e.q)
	for _, j := range e.inv.WaitRequests(t, fn, 2) {
		e.waitStatus(j.Request.RequestID, lambda.StatusSucceeded)
	}
	e.submit(fn, `{}`)
}

// testSubmitValidation: each bad submission is refused with its code and a
// message saying what to do, and leaves nothing queued.
func testSubmitValidation(t *testing.T, e *env) {
	fn := "valid"
	e.deploy(fn, lambda.Scaling{})
	big := `"` + strings.Repeat("x", lambda.MaxAsyncPayloadBytes-1) + `"` // one byte over
	for _, tc := range []struct {
		name string
		req  lambda.InvokeRequest
		code string
		says string
	}{
		{"unknown function", lambda.InvokeRequest{Function: "ghost"}, lambda.ENOTFOUND, "lambda deploy"},
		{"bad name", lambda.InvokeRequest{Function: "Bad_Name"}, lambda.EINVALID, "function name"},
		{"payload over 1 MB", lambda.InvokeRequest{Function: fn, Payload: []byte(big)}, lambda.ETOOLARGE, "1 MB"},
		{"bad JSON", lambda.InvokeRequest{Function: fn, Payload: []byte(`{"a":}`)}, lambda.EINVALID, "byte 6"},
		{"two values", lambda.InvokeRequest{Function: fn, Payload: []byte(`{} {}`)}, lambda.EINVALID, "byte 4"},
		{"key too long", lambda.InvokeRequest{Function: fn, IdempotencyKey: strings.Repeat("k", lambda.MaxIdempotencyKeyLength+1)}, lambda.EINVALID, "256"},
		{"timeout too short", lambda.InvokeRequest{Function: fn, Timeout: time.Microsecond}, lambda.EINVALID, "timeout"},
		{"timeout too long", lambda.InvokeRequest{Function: fn, Timeout: lambda.MaxTimeout + time.Second}, lambda.EINVALID, "timeout"},
		{"not a version", lambda.InvokeRequest{Function: fn, Qualifier: "prod"}, lambda.EINVALID, "qualifier"},
		{"inactive version", lambda.InvokeRequest{Function: fn, Qualifier: "2"}, lambda.EINVALID, "active version"},
		{"sync trigger", lambda.InvokeRequest{Function: fn, Trigger: lambda.TriggerHTTP}, lambda.EINVALID, "trigger"},
	} {
		_, _, err := e.q.Submit(e.ctx, &tc.req)
		if code(err) != tc.code || !strings.Contains(lambda.ErrorMessage(err), tc.says) {
			t.Errorf("%s: %v (%s); want %s saying %q", tc.name, err, code(err), tc.code, tc.says)
		}
		nothingQueued(t, e, tc.req.Function, tc.name)
	}
}

// testSubmitDefaults: what Submit stores for a minimal request.
func testSubmitDefaults(t *testing.T, e *env) {
	fn := "defaults"
	e.deploy(fn, lambda.Scaling{})
	j, created, err := e.q.Submit(e.ctx, &lambda.InvokeRequest{Function: fn})
	if err != nil || !created {
		t.Fatalf("Submit: %v", err)
	}
	sum := sha256.Sum256([]byte(`{}`))
	got := e.find(j.ID)
	if len(got.ID) != 36 || got.ID[14] != '7' || got.Status != lambda.StatusQueued || got.Trigger != lambda.TriggerAsync ||
		string(got.Payload) != `{}` || !got.CreatedAt.Equal(T0) || !got.NextRunAt.Equal(T0) || got.Attempts != 0 {
		t.Errorf("stored job: %+v", got)
	}
	if j.PayloadHash != hex.EncodeToString(sum[:]) {
		t.Errorf("payload hash %q, want the SHA-256 of {}", j.PayloadHash)
	}
	// The limit is inclusive; the active version and $LATEST are accepted.
	exact := `"` + strings.Repeat("x", lambda.MaxAsyncPayloadBytes-2) + `"`
	for _, req := range []lambda.InvokeRequest{
		{Function: fn, Payload: []byte(exact)},
		{Function: fn, Qualifier: "1"},
		{Function: fn, Qualifier: "$LATEST", Trigger: lambda.TriggerAPI},
	} {
		if _, _, err := e.q.Submit(e.ctx, &req); err != nil {
			t.Errorf("Submit %s (%d bytes): %v", req.Qualifier, len(req.Payload), err)
		}
	}
}

// cron submits a tick of schedule with overlap policy.
func cron(e *env, function, schedule, overlap string) (*lambda.Job, error) {
	j, _, err := e.q.Submit(e.ctx, &lambda.InvokeRequest{Function: function, Trigger: lambda.TriggerCron, Schedule: schedule, Overlap: overlap})
	return j, err
}

// testOverlapSkip: a tick of a skip schedule is refused while another is
// pending, queued or running.
func testOverlapSkip(t *testing.T, e *env) {
	fn := "cron-skip"
	e.deploy(fn, lambda.Scaling{})
	release := make(chan struct{})
	e.inv.On(fn, Block(release, Succeed(`{}`)))
	first, err := cron(e, fn, "sched-1", lambda.OverlapSkip)
	if err != nil {
		t.Fatalf("first tick: %v", err)
	}
	if first.Trigger != lambda.TriggerCron || first.Schedule != "sched-1" || first.Overlap != lambda.OverlapSkip {
		t.Errorf("tick job: trigger %q schedule %q overlap %q", first.Trigger, first.Schedule, first.Overlap)
	}
	if _, err := cron(e, fn, "sched-1", lambda.OverlapSkip); code(err) != lambda.ECONFLICT {
		t.Errorf("tick while one is queued: %v, want conflict", err)
	}
	if _, err := cron(e, fn, "sched-2", lambda.OverlapSkip); err != nil {
		t.Errorf("a tick of another schedule: %v", err)
	}
	e.open(e.q)
	e.waitStatus(first.ID, lambda.StatusRunning)
	if _, err := cron(e, fn, "sched-1", lambda.OverlapSkip); code(err) != lambda.ECONFLICT {
		t.Errorf("tick while one runs: %v, want conflict", err)
	}
	close(release)
	e.waitStatus(first.ID, lambda.StatusSucceeded)
	if _, err := cron(e, fn, "sched-1", lambda.OverlapSkip); err != nil {
		t.Errorf("tick after the run: %v", err)
	}
}

// testOverlapQueue: with overlap queue one tick waits for the running one,
// and runs only after it; a third is refused.
func testOverlapQueue(t *testing.T, e *env) {
	fn := "cron-queue"
	e.deploy(fn, lambda.Scaling{})
	release := make(chan struct{})
	e.inv.On(fn, Block(release, Succeed(`{}`)))
	e.open(e.q)
	first, err := cron(e, fn, "sched-q", lambda.OverlapQueue)
	if err != nil {
		t.Fatalf("first tick: %v", err)
	}
	e.waitStatus(first.ID, lambda.StatusRunning)
	second, err := cron(e, fn, "sched-q", lambda.OverlapQueue)
	if err != nil {
		t.Fatalf("second tick while the first runs: %v", err)
	}
	if _, err := cron(e, fn, "sched-q", lambda.OverlapQueue); code(err) != lambda.ECONFLICT {
		t.Errorf("third tick: %v, want conflict", err)
	}
	settle()
	if n := len(e.inv.Requests(fn)); n != 1 {
		t.Fatalf("%d ticks ran while the first runs, want 1", n)
	}
	if s := e.find(second.ID).Status; s != lambda.StatusQueued {
		t.Errorf("second tick is %s, want queued", s)
	}
	close(release)
	e.waitStatus(first.ID, lambda.StatusSucceeded)
	e.waitStatus(second.ID, lambda.StatusSucceeded)
	reqs := e.inv.Requests(fn)
	if len(reqs) != 2 || reqs[1].Request.RequestID != second.ID || reqs[1].Request.Trigger != lambda.TriggerCron {
		t.Errorf("requests: %+v", reqs)
	}
}
