package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestAsyncRetries: a function failing its first two attempts succeeds on
// the third retry-delayed attempt, the record shows all three with their
// logs, and its on_success destination receives the Lambda-style record.
func TestAsyncRetries(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name, dest := s.fn("async-retry"), s.fn("async-retry-ok")
	deployAsyncFn(s, dest)
	deployAsyncFn(s, name, "--retry-delay", "1s", "--on-success", dest)

	id := mustSubmit(s, name, `{"fail":2,"tag":"twice"}`)
	// Delays of 1 s then 2 s, plus the runs: well within 60 s.
	j := waitJob(s, id, 60*time.Second, ended)
	if j.Status != lambda.StatusSucceeded || j.Attempts != 3 {
		t.Fatalf("after two failures: status %s after %d attempts, want succeeded after 3: %s", j.Status, j.Attempts, describeAttempts(j))
	}
	j = cliJob(s, id)
	var counted []lambda.JobAttempt
	for _, a := range j.History {
		if a.Counted {
			counted = append(counted, a)
		}
	}
	if len(counted) != 3 {
		t.Fatalf("lambda invocation %s shows %d counted attempts, want 3: %s", id, len(counted), describeAttempts(j))
	}
	for i, a := range counted {
		want := lambda.StatusFailed
		if i == 2 {
			want = lambda.StatusSucceeded
		}
		if a.Attempt != i+1 || a.Status != want {
			t.Errorf("attempt %d: %+v, want attempt %d %s", i+1, a, i+1, want)
		}
		if want == lambda.StatusFailed && a.HTTPStatus != 500 {
			t.Errorf("attempt %d: HTTP status %d, want the function's 500", i+1, a.HTTPStatus)
		}
		// Each attempt keeps the tail of what the function printed then.
		if !strings.Contains(a.Logs, fmt.Sprintf("attempt %d of %s", i+1, id)) {
			t.Errorf("attempt %d: logs %q, want the function's line for it", i+1, a.Logs)
		}
	}
	// The retry delay doubles: 1 s, then 2 s.
	if gap := counted[1].Start.Sub(counted[0].Start); gap < 900*time.Millisecond {
		t.Errorf("the first retry came %s after the first attempt, want at least the 1 s retry delay", gap)
	}
	if gap := counted[2].Start.Sub(counted[1].Start); gap < 1900*time.Millisecond {
		t.Errorf("the second retry came %s after the first retry, want at least 2 s (the delay doubled)", gap)
	}
	if seen := seenBy(s, name); seen.Requests[id].Count != 3 {
		t.Errorf("the function ran %s %d times, want 3", id, seen.Requests[id].Count)
	}
	// The human form shows the attempts too.
	if res := s.mustLambda("invocation", id); !strings.Contains(res.stdout, id) || !strings.Contains(res.stdout, "succeeded") || strings.Count(res.stdout, "attempt") < 3 {
		t.Errorf("lambda invocation %s:\n%s", id, res.stdout)
	}

	// The on_success destination receives the record of the success.
	var rec lambda.DestinationRecord
	waitFor(t, 30*time.Second, func() bool {
		for _, r := range seenBy(s, dest).Requests {
			for _, b := range r.Bodies {
				if json.Unmarshal([]byte(b), &rec) == nil && rec.RequestContext.RequestID == id {
					return true
				}
			}
		}
		return false
	})
	var answer struct {
		ID      string `json:"id"`
		Attempt int    `json:"attempt"`
	}
	if rc := rec.RequestContext; rc.Condition != "Success" || rc.ApproximateInvokeCount != 3 ||
		rec.ResponseContext.StatusCode != 200 || rec.ResponseContext.ExecutedVersion != "1" || rec.ResponseContext.FunctionError != "" ||
		json.Unmarshal(rec.ResponsePayload, &answer) != nil || answer.ID != id || answer.Attempt != 3 ||
		!strings.Contains(string(rec.RequestPayload), `"tag":"twice"`) {
		t.Errorf("on_success record: %+v (request %s, response %s); want Success after 3 invocations, status 200, version 1, the event and the function's answer", rec, rec.RequestPayload, rec.ResponsePayload)
	}
	s.mustLambda("delete", name)
	s.mustLambda("delete", dest)
}

// TestAsyncDeadLetterAndRedrive: a function that fails every attempt ends
// dead, its on_failure destination receives the Lambda-style record, and a
// redrive runs the job again under the same ID with fresh attempts.
func TestAsyncDeadLetterAndRedrive(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name, dlq := s.fn("async-dead"), s.fn("async-dlq")
	deployAsyncFn(s, dlq)
	deployAsyncFn(s, name, "--retry-delay", "1s", "--on-failure", dlq)

	// Each fails its first three attempts: all the tries it has.
	id := mustSubmit(s, name, `{"fail":3,"tag":"dead-letter"}`)
	other := mustSubmit(s, name, `{"fail":3,"tag":"dead-letter-2"}`)
	j := waitJob(s, id, 60*time.Second, ended)
	if j.Status != lambda.StatusDead || j.Attempts != 3 || j.HTTPStatus != 500 || j.ErrorType == "" {
		t.Fatalf("after three failures: %+v, want dead after 3 attempts with the function's error: %s", j, describeAttempts(j))
	}
	waitJob(s, other, 30*time.Second, ended)
	if l := listJobs(s, name, "status=dead"); len(l) != 2 || countID(l, id) != 1 || countID(l, other) != 1 {
		t.Errorf("the dead-letter list of %s: %+v, want %s and %s", name, l, id, other)
	}

	// The destination received the record, as Lambda shapes it.
	var rec lambda.DestinationRecord
	var raw string
	waitFor(t, 30*time.Second, func() bool {
		for _, r := range seenBy(s, dlq).Requests {
			for _, b := range r.Bodies {
				var x lambda.DestinationRecord
				if json.Unmarshal([]byte(b), &x) == nil && x.RequestContext.RequestID == id {
					rec, raw = x, b
					return true
				}
			}
		}
		return false
	})
	rc := rec.RequestContext
	if rc.Condition != "RetriesExhausted" || rc.ApproximateInvokeCount != 3 || !strings.Contains(rc.FunctionArn, name) {
		t.Errorf("on_failure record's requestContext: %+v, want RetriesExhausted, 3 invocations, the ARN of %s", rc, name)
	}
	var payload struct {
		Fail int
		Tag  string
	}
	if err := json.Unmarshal(rec.RequestPayload, &payload); err != nil || payload.Tag != "dead-letter" || payload.Fail != 3 {
		t.Errorf("on_failure record's requestPayload: %s (%v), want the event", rec.RequestPayload, err)
	}
	if rec.ResponseContext.StatusCode != 500 || !strings.Contains(string(rec.ResponsePayload), "failing attempt 3") {
		t.Errorf("on_failure record's response: %+v %s, want the last attempt's 500 and body", rec.ResponseContext, rec.ResponsePayload)
	}
	if rec.Version == "" || rec.Timestamp.IsZero() {
		t.Errorf("on_failure record without version or timestamp: %s", raw)
	}
	// Received once: one record per dead job.
	if n := seenBy(s, dlq).bodiesWith(id); n != 1 {
		t.Errorf("the destination received %d records of %s, want 1", n, id)
	}
	// The destination's own records of the deliveries.
	waitFor(t, 30*time.Second, func() bool { return seenBy(s, dlq).bodiesWith(other) == 1 })
	if l := listJobs(s, dlq, ""); len(l) != 2 {
		t.Errorf("the destination has %d invocations, want the two deliveries: %+v", len(l), l)
	}

	// Redrive runs it again under the same ID, with fresh attempts: the
	// fourth run succeeds.
	res := s.mustLambda("redrive", name, "--id", id)
	if !strings.Contains(res.stdout, id) {
		t.Errorf("lambda redrive printed %q, want the requeued ID", res.stdout)
	}
	j = waitJob(s, id, 30*time.Second, func(j *lambda.Job) bool { return j.Status == lambda.StatusSucceeded })
	if j.Attempts != 1 {
		t.Errorf("after the redrive: %d attempts, want 1 (fresh attempts): %s", j.Attempts, describeAttempts(j))
	}
	// Only the one named.
	if _, o, body := getJob(s, other); o == nil || o.Status != lambda.StatusDead {
		t.Errorf("redrive --id %s touched %s: %s", id, other, body)
	}
	res = s.mustLambda("redrive", name, "--all")
	if !strings.Contains(res.stdout, other) || strings.Contains(res.stdout, id) {
		t.Errorf("lambda redrive --all printed %q, want %s alone (the only dead one)", res.stdout, other)
	}
	if o := waitJob(s, other, 30*time.Second, ended); o.Status != lambda.StatusSucceeded || o.Attempts != 1 {
		t.Errorf("after redrive --all: %s after %d attempts, want succeeded after 1", o.Status, o.Attempts)
	}
	if seen := seenBy(s, name); seen.Requests[id].Count != 4 {
		t.Errorf("the function ran %s %d times, want 4 (3 before the redrive, 1 after)", id, seen.Requests[id].Count)
	}
	// A success after a redrive is not a failure: no second record.
	time.Sleep(time.Second) // a wrong delivery would be queued by now; nothing to wait for otherwise
	if n := seenBy(s, dlq).bodiesWith(id); n != 1 {
		t.Errorf("the destination received %d records of %s after the redrive succeeded, want still 1", n, id)
	}
	s.mustLambda("delete", name)
	s.mustLambda("delete", dlq)
}
