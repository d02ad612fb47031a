package asynctest

import (
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// testRetrySchedule: a function error is retried after the retry delay,
// then after twice it, at exact times; the job ends dead after the last.
func testRetrySchedule(t *testing.T, e *env) {
	for _, tc := range []struct {
		name  string
		delay lambda.Duration // 0: the default, 1 min
		first time.Duration
	}{
		{"default", 0, time.Minute},
		{"custom", lambda.Duration(5 * time.Second), 5 * time.Second},
	} {
		fn := "retry-" + tc.name
		e.deploy(fn, lambda.Scaling{RetryDelay: tc.delay})
		e.inv.On(fn, Fail("boom"))
		e.open(e.q)
		start := e.clock.Now()
		j := e.submit(fn, `{"n":1}`)

		wantAt := []time.Time{start, start.Add(tc.first), start.Add(3 * tc.first)}
		for i, at := range wantAt {
			got := e.inv.WaitRequests(t, fn, i+1)[i]
			if !got.At.Equal(at) {
				t.Errorf("%s: attempt %d ran at %s, want %s", tc.name, i+1, got.At.Sub(start), at.Sub(start))
			}
			if got.Request.Attempt != i+1 || got.Request.RequestID != j.ID {
				t.Errorf("%s: request %d: attempt %d, ID %s; want attempt %d, ID %s", tc.name, i+1, got.Request.Attempt, got.Request.RequestID, i+1, j.ID)
			}
			if i == len(wantAt)-1 {
				break
			}
			next := wantAt[i+1]
			r := e.wait(j.ID, "retrying", func(j *lambda.Job) bool { return j.Status == lambda.StatusRetrying && j.Attempts == i+1 })
			if !r.NextRunAt.Equal(next) {
				t.Fatalf("%s: after attempt %d the job runs again at +%s, want +%s", tc.name, i+1, r.NextRunAt.Sub(start), next.Sub(start))
			}
			e.clock.WaitTimer(t, next) // the queue sleeps until then, no longer
			e.clock.Advance(next.Sub(e.clock.Now()))
		}
		d := e.waitStatus(j.ID, lambda.StatusDead)
		if d.Attempts != 3 || len(d.History) != 3 || d.FinishedAt == nil || !d.FinishedAt.Equal(wantAt[2]) {
			t.Errorf("%s: dead job: attempts %d, %d in history, finished %v; want 3, 3, +%s", tc.name, d.Attempts, len(d.History), d.FinishedAt, wantAt[2].Sub(start))
		}
		for i, a := range d.History {
			if a.Attempt != i+1 || !a.Counted || a.Status != lambda.StatusFailed || a.ErrorType != lambda.EFUNCTION || !strings.Contains(a.Error, "boom") {
				t.Errorf("%s: history[%d] = %+v, want counted failed attempt %d with function_error boom", tc.name, i, a, i+1)
			}
		}
		if d.FunctionError != "Unhandled" || d.ErrorType != lambda.EFUNCTION || !strings.Contains(d.ErrorMessage, "boom") {
			t.Errorf("%s: dead job error = %q %q %q, want Unhandled function_error boom", tc.name, d.FunctionError, d.ErrorType, d.ErrorMessage)
		}
		if due, _ := e.jobs.DueJobs(e.ctx); !due[fn].IsZero() {
			t.Errorf("%s: a dead job is still due at %s", tc.name, due[fn])
		}
		if n := len(e.inv.Requests(fn)); n != 3 {
			t.Errorf("%s: %d requests, want 3", tc.name, n)
		}
		e.close(e.q)
		e.q = e.newQueue(e.inv)
	}
}

// testMaxRetries: a function that always fails runs max_retries + 1 times.
func testMaxRetries(t *testing.T, e *env) {
	e.open(e.q)
	for _, n := range []int{0, 1, 2} {
		fn := "max-retries-" + string(rune('0'+n))
		e.deploy(fn, lambda.Scaling{MaxRetries: intp(n), RetryDelay: lambda.Duration(time.Second)})
		e.inv.On(fn, Fail("always"))
		j := e.submit(fn, `{}`)
		d := e.drive(j.ID, "dead", func(j *lambda.Job) bool { return j.Status == lambda.StatusDead })
		if d.Attempts != n+1 {
			t.Errorf("max retries %d: %d attempts, want %d", n, d.Attempts, n+1)
		}
		if got := len(e.inv.Requests(fn)); got != n+1 {
			t.Errorf("max retries %d: %d requests, want %d", n, got, n+1)
		}
	}
}

// testSucceedsAfterFailures: two failures then a success: three attempts,
// the last one's response kept and the earlier errors cleared.
func testSucceedsAfterFailures(t *testing.T, e *env) {
	fn := "flaky"
	e.deploy(fn, lambda.Scaling{RetryDelay: lambda.Duration(time.Second)})
	e.inv.On(fn, append(Times(2, Fail("not yet")), Succeed(`{"done":true}`))...)
	e.open(e.q)
	j := e.submit(fn, `{"n":1}`)
	d := e.drive(j.ID, "succeeded", func(j *lambda.Job) bool { return !j.Pending() })
	if d.Status != lambda.StatusSucceeded || d.Attempts != 3 {
		t.Fatalf("job: %s; want succeeded after 3 attempts", describe(d))
	}
	if string(d.Response) != `{"done":true}` || d.HTTPStatus != 200 || d.Version != 1 || d.ResponseTruncated {
		t.Errorf("outcome: response %q status %d version %d truncated %v", d.Response, d.HTTPStatus, d.Version, d.ResponseTruncated)
	}
	if d.ErrorType != "" || d.ErrorMessage != "" || d.FunctionError != "" {
		t.Errorf("a succeeded job keeps an error: %q %q %q", d.ErrorType, d.ErrorMessage, d.FunctionError)
	}
	if d.StartedAt == nil || !d.StartedAt.Equal(T0) || d.FinishedAt == nil || !d.FinishedAt.Equal(T0.Add(3*time.Second)) {
		t.Errorf("started %v finished %v; want T0 and T0+3s", d.StartedAt, d.FinishedAt)
	}
	want := []string{lambda.StatusFailed, lambda.StatusFailed, lambda.StatusSucceeded}
	if len(d.History) != 3 {
		t.Fatalf("history has %d attempts, want 3", len(d.History))
	}
	for i, a := range d.History {
		if a.Status != want[i] || a.Attempt != i+1 || !a.Counted || a.Version != 1 || a.HTTPStatus != 200 {
			t.Errorf("history[%d] = %+v, want %s attempt %d", i, a, want[i], i+1)
		}
		if !strings.Contains(a.Logs, j.ID) {
			t.Errorf("history[%d] logs %q, want the attempt's log tail", i, a.Logs)
		}
	}
}

// testCrashAndTimeout: a crash (EFUNCTION) and a timeout consume retries.
func testCrashAndTimeout(t *testing.T, e *env) {
	fn := "crashy"
	e.deploy(fn, lambda.Scaling{MaxRetries: intp(1), RetryDelay: lambda.Duration(time.Second)})
	e.inv.On(fn, Error(lambda.EFUNCTION), Error(lambda.ETIMEOUT))
	e.open(e.q)
	j := e.submit(fn, `{}`)
	d := e.drive(j.ID, "dead", func(j *lambda.Job) bool { return j.Status == lambda.StatusDead })
	if d.Attempts != 2 || d.ErrorType != lambda.ETIMEOUT || d.FunctionError != "Unhandled" {
		t.Errorf("job: %s; want dead after 2 attempts, the last a timeout", describe(d))
	}
	if len(d.History) != 2 || d.History[0].ErrorType != lambda.EFUNCTION || d.History[1].ErrorType != lambda.ETIMEOUT {
		t.Errorf("history: %s", describe(d))
	}
}

// testEventAgeEndsRetries: a retry that would run past the maximum event
// age is not scheduled: the job ends dead.
func testEventAgeEndsRetries(t *testing.T, e *env) {
	fn := "short-lived"
	e.deploy(fn, lambda.Scaling{MaxEventAge: lambda.Duration(time.Minute), OnFailure: "age-dest"})
	e.deploy("age-dest", lambda.Scaling{})
	e.inv.On(fn, Fail("boom"))
	e.open(e.q)
	j := e.submit(fn, `{}`)
	// The first retry, at +1 min, is still within the age; the second,
	// at +3 min, is not.
	r := e.wait(j.ID, "retrying", func(j *lambda.Job) bool { return j.Status == lambda.StatusRetrying })
	if !r.NextRunAt.Equal(T0.Add(time.Minute)) {
		t.Fatalf("first retry at %s, want +1m", r.NextRunAt.Sub(T0))
	}
	e.clock.Advance(time.Minute)
	d := e.waitStatus(j.ID, lambda.StatusDead)
	if d.Attempts != 2 || !d.FinishedAt.Equal(T0.Add(time.Minute)) {
		t.Errorf("job: %s; want dead after 2 attempts at +1m", describe(d))
	}
	rec := destinationRecord(t, e, "age-dest", 1)
	if c := rec.RequestContext.Condition; c != "EventAgeExceeded" {
		t.Errorf("condition %q, want EventAgeExceeded", c)
	}
}

// testEventAgeExpiredBeforeRun: a job older than its maximum event age
// when taken ends dead without running.
func testEventAgeExpiredBeforeRun(t *testing.T, e *env) {
	fn := "stale"
	e.deploy(fn, lambda.Scaling{MaxEventAge: lambda.Duration(time.Minute), OnFailure: "stale-dest"})
	e.deploy("stale-dest", lambda.Scaling{})
	j := e.submit(fn, `{"old":true}`) // the queue is not open: the job waits
	e.clock.Advance(time.Minute + time.Second)
	e.open(e.q)
	d := e.waitStatus(j.ID, lambda.StatusDead)
	if n := len(e.inv.Requests(fn)); n != 0 {
		t.Errorf("the expired job ran %d times, want 0", n)
	}
	if d.Attempts != 0 || d.ErrorMessage == "" || d.FinishedAt == nil {
		t.Errorf("job: %s; want dead, no attempt, an error saying why", describe(d))
	}
	rec := destinationRecord(t, e, "stale-dest", 1)
	if rec.RequestContext.Condition != "EventAgeExceeded" || rec.RequestContext.ApproximateInvokeCount != 0 || string(rec.RequestPayload) != `{"old":true}` {
		t.Errorf("record = %+v", rec)
	}
}

// testThrottlesNotCounted: throttles and platform errors are retried
// after a backoff without consuming a try, even with no retries allowed.
func testThrottlesNotCounted(t *testing.T, e *env) {
	e.open(e.q)
	for _, errCode := range []string{lambda.ETHROTTLED, lambda.EUNAVAILABLE, lambda.EINTERNAL} {
		fn := "busy-" + strings.ReplaceAll(errCode, "_", "-")
		e.deploy(fn, lambda.Scaling{MaxRetries: intp(0)})
		e.inv.On(fn, append(Times(3, Error(errCode)), Succeed(`"ok"`))...)
		j := e.submit(fn, `{}`)
		var last time.Time
		d := e.drive(j.ID, "ended", func(j *lambda.Job) bool {
			if j.Status == lambda.StatusRetrying && !j.NextRunAt.Equal(last) {
				// The backoff is jittered within [b/2, b]: b = 1s, 2s, 4s.
				b := minBackoff << (len(j.History) - 1)
				if wait := j.NextRunAt.Sub(e.clock.Now()); wait < b/2 || wait > b {
					t.Errorf("%s: backoff %d is %s, want %s-%s", errCode, len(j.History), wait, b/2, b)
				}
				last = j.NextRunAt
			}
			return !j.Pending()
		})
		if d.Status != lambda.StatusSucceeded || d.Attempts != 1 || len(d.History) != 4 {
			t.Fatalf("%s: job: %s; want succeeded, 1 attempt, 4 in history", errCode, describe(d))
		}
		for i, a := range d.History[:3] {
			if a.Counted || a.Attempt != 0 || a.ErrorType != errCode || a.Logs == "" {
				t.Errorf("%s: history[%d] = %+v, want an uncounted %s attempt with the error as logs", errCode, i, a, errCode)
			}
		}
		for i, r := range e.inv.Requests(fn) {
			if r.Request.Attempt != 1 {
				t.Errorf("%s: request %d is attempt %d, want 1 (no try consumed)", errCode, i+1, r.Request.Attempt)
			}
		}
	}
}

// testThrottleHoldsBack: while a function is throttled its other jobs
// wait too.
func testThrottleHoldsBack(t *testing.T, e *env) {
	fn := "throttled"
	e.deploy(fn, lambda.Scaling{AsyncConcurrency: 1})
	e.inv.On(fn, Error(lambda.ETHROTTLED), Succeed(`{}`))
	a := e.submit(fn, `{"job":"a"}`)
	b := e.submit(fn, `{"job":"b"}`)
	e.open(e.q)
	r := e.wait(a.ID, "retrying", func(j *lambda.Job) bool { return j.Status == lambda.StatusRetrying })
	e.clock.WaitTimer(t, r.NextRunAt) // asleep until the backoff ends
	if n := len(e.inv.Requests(fn)); n != 1 {
		t.Fatalf("%d requests during the backoff, want 1: job b must wait", n)
	}
	if j := e.find(b.ID); j.Status != lambda.StatusQueued {
		t.Errorf("job b is %s during the backoff, want queued", j.Status)
	}
	e.clock.Advance(r.NextRunAt.Sub(e.clock.Now()))
	e.waitStatus(a.ID, lambda.StatusSucceeded)
	e.waitStatus(b.ID, lambda.StatusSucceeded)
}

// testThrottledUntilAge: a function throttled for longer than the event
// age: the job ends dead (EventAgeExceeded) with no try consumed, its
// history bounded.
func testThrottledUntilAge(t *testing.T, e *env) {
	fn := "always-busy"
	e.deploy(fn, lambda.Scaling{MaxEventAge: lambda.Duration(time.Minute), OnFailure: "busy-dest"})
	e.deploy("busy-dest", lambda.Scaling{})
	e.inv.On(fn, Error(lambda.ETHROTTLED))
	e.q.MaxBackoff = 2 * time.Second // at least 30 backoffs of 1-2s in a minute
	e.open(e.q)
	j := e.submit(fn, `{}`)
	d := e.drive(j.ID, "dead", func(j *lambda.Job) bool { return j.Status == lambda.StatusDead })
	if d.Attempts != 0 || d.ErrorType != lambda.ETHROTTLED || d.FinishedAt.After(T0.Add(time.Minute)) {
		t.Errorf("job: %s; want dead within the minute, no attempt, throttled", describe(d))
	}
	if n := len(e.inv.Requests(fn)); n <= lambda.MaxJobAttemptsKept {
		t.Fatalf("only %d requests in a minute of backoffs of at most 2s", n)
	}
	if len(d.History) != lambda.MaxJobAttemptsKept {
		t.Errorf("history keeps %d attempts, want the newest %d", len(d.History), lambda.MaxJobAttemptsKept)
	}
	rec := destinationRecord(t, e, "busy-dest", 1)
	if rec.RequestContext.Condition != "EventAgeExceeded" || rec.RequestContext.ApproximateInvokeCount != 0 {
		t.Errorf("record context = %+v", rec.RequestContext)
	}
}

// testFunctionGone: the invoker saying the function does not exist (it was
// deleted while the job waited), or that the job no longer fits it (its
// version is no longer active), ends the job dead at once: retrying
// cannot help.
func testFunctionGone(t *testing.T, e *env) {
	e.open(e.q)
	for _, errCode := range []string{lambda.ENOTFOUND, lambda.EINVALID} {
		fn := "hopeless-" + strings.ReplaceAll(errCode, "_", "-")
		e.deploy(fn, lambda.Scaling{})
		e.inv.On(fn, Error(errCode))
		j := e.submit(fn, `{}`)
		d := e.waitStatus(j.ID, lambda.StatusDead)
		if d.ErrorType != errCode || d.Attempts != 0 || len(e.inv.Requests(fn)) != 1 {
			t.Errorf("job: %s; want dead with %s after one request", describe(d), errCode)
		}
	}
}

// testInvokeRequest: what the invoker receives for a job.
func testInvokeRequest(t *testing.T, e *env) {
	fn := "inspect"
	e.deploy(fn, lambda.Scaling{})
	e.open(e.q)
	for _, tc := range []struct {
		trigger, want lambda.Trigger
	}{
		{lambda.TriggerAsync, lambda.TriggerAsync},
		{lambda.TriggerAPI, lambda.TriggerAsync},
		{lambda.TriggerCron, lambda.TriggerCron},
	} {
		n := len(e.inv.Requests(fn))
		j, _, err := e.q.Submit(e.ctx, &lambda.InvokeRequest{Function: fn, Qualifier: "$LATEST", Payload: []byte(`[1,2]`), Trigger: tc.trigger, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatalf("Submit %s: %v", tc.trigger, err)
		}
		got := e.inv.WaitRequests(t, fn, n+1)[n].Request
		if got.RequestID != j.ID || got.Trigger != tc.want || string(got.Payload) != `[1,2]` || got.Qualifier != "$LATEST" ||
			got.Timeout != 2*time.Second || !got.LogTail || got.Attempt != 1 || got.QueueWait != 0 {
			t.Errorf("%s job: request %+v", tc.trigger, got)
		}
		if d := e.waitStatus(j.ID, lambda.StatusSucceeded); d.Trigger != tc.trigger {
			t.Errorf("job trigger %q, want %q", d.Trigger, tc.trigger)
		}
	}
}
