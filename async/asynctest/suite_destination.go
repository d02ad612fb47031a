package asynctest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// destinationRecord waits for the n-th request to destination and decodes
// it as a destination record.
func destinationRecord(t *testing.T, e *env, destination string, n int) *lambda.DestinationRecord {
	t.Helper()
	got := e.inv.WaitRequests(t, destination, n)[n-1]
	if got.Request.Trigger != lambda.TriggerAsync {
		t.Errorf("destination invoked with trigger %q, want async", got.Request.Trigger)
	}
	var rec lambda.DestinationRecord
	if err := json.Unmarshal(got.Request.Payload, &rec); err != nil {
		t.Fatalf("destination payload %s: %v", got.Request.Payload, err)
	}
	return &rec
}

// sameJSON fails the test unless got and want are the same JSON value.
func sameJSON(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %s is not JSON: %v", what, got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: want %s: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, got, want)
	}
}

// testDestinations: a success and a failure each send Lambda's record,
// exactly, to the function's destination, as a new async job.
func testDestinations(t *testing.T, e *env) {
	fn := "with-destinations"
	e.deploy(fn, lambda.Scaling{MaxRetries: intp(0), OnSuccess: "on-ok", OnFailure: "on-fail"})
	e.deploy("on-ok", lambda.Scaling{})
	e.deploy("on-fail", lambda.Scaling{})
	e.inv.On(fn, Succeed(`{"answer":42}`), Fail("boom"), Succeed("plain text"))
	e.open(e.q)
	arn := "arn:aws:lambda:local:000000000000:function:" + fn
	ts := T0.Format(time.RFC3339Nano)

	ok := e.submit(fn, `{"n":1}`)
	e.waitStatus(ok.ID, lambda.StatusSucceeded)
	got := e.inv.WaitRequests(t, "on-ok", 1)[0]
	sameJSON(t, "success record", got.Request.Payload, `{
		"version": "1.0",
		"timestamp": "`+ts+`",
		"requestContext": {"requestId": "`+ok.ID+`", "functionArn": "`+arn+`", "condition": "Success", "approximateInvokeCount": 1},
		"requestPayload": {"n": 1},
		"responseContext": {"statusCode": 200, "executedVersion": "1"},
		"responsePayload": {"answer": 42}
	}`)
	jobs, err := e.q.ListJobs(e.ctx, lambda.JobFilter{Function: "on-ok"})
	if err != nil || len(jobs) != 1 || jobs[0].Trigger != lambda.TriggerAsync || jobs[0].ID == ok.ID {
		t.Errorf("the destination's jobs: %v %v; want one new async job", jobs, err)
	}

	bad := e.submit(fn, `{"n":2}`)
	e.waitStatus(bad.ID, lambda.StatusDead)
	got = e.inv.WaitRequests(t, "on-fail", 1)[0]
	sameJSON(t, "failure record", got.Request.Payload, `{
		"version": "1.0",
		"timestamp": "`+ts+`",
		"requestContext": {"requestId": "`+bad.ID+`", "functionArn": "`+arn+`", "condition": "RetriesExhausted", "approximateInvokeCount": 1},
		"requestPayload": {"n": 2},
		"responseContext": {"statusCode": 200, "executedVersion": "1", "functionError": "Unhandled"},
		"responsePayload": {"errorMessage": "boom", "errorType": "Error"}
	}`)

	// A response that is not JSON travels as a JSON string.
	text := e.submit(fn, `"t"`)
	e.waitStatus(text.ID, lambda.StatusSucceeded)
	rec := destinationRecord(t, e, "on-ok", 2)
	if string(rec.ResponsePayload) != `"plain text"` || string(rec.RequestPayload) != `"t"` {
		t.Errorf("record payloads: request %s response %s", rec.RequestPayload, rec.ResponsePayload)
	}
}

// testMissingDestination: a destination that does not exist is logged; the
// job's own outcome stands.
func testMissingDestination(t *testing.T, e *env) {
	fn := "lonely"
	e.deploy(fn, lambda.Scaling{MaxRetries: intp(0), OnSuccess: "nowhere", OnFailure: "nowhere"})
	e.inv.On(fn, Succeed(`{}`), Fail("boom"))
	e.open(e.q)
	ok := e.submit(fn, `{}`)
	e.waitStatus(ok.ID, lambda.StatusSucceeded)
	bad := e.submit(fn, `{}`)
	d := e.waitStatus(bad.ID, lambda.StatusDead)
	if d.ErrorType != lambda.EFUNCTION {
		t.Errorf("job: %s", describe(d))
	}
	if n := len(e.inv.Requests("nowhere")); n != 0 {
		t.Errorf("a missing destination received %d requests", n)
	}
	for _, j := range []*lambda.Job{e.find(ok.ID), d} {
		if dst := j.Destination; dst == nil || dst.Function != "nowhere" || dst.ID != "" || !strings.Contains(dst.Error, "not delivered: function \"nowhere\"") {
			t.Errorf("job %s: destination %+v; want the failed delivery recorded", j.Status, dst)
		}
	}
}

// testDeadLetters: dead jobs are listed by status, with their error.
func testDeadLetters(t *testing.T, e *env) {
	fn := "dead-letters"
	e.deploy(fn, lambda.Scaling{MaxRetries: intp(0)})
	e.inv.On(fn, Fail("boom"), Succeed(`{}`), Fail("boom again"))
	e.open(e.q)
	var dead []string
	for i := range 3 {
		j := e.submit(fn, `{}`)
		e.wait(j.ID, "ended", func(j *lambda.Job) bool { return !j.Pending() })
		if i != 1 {
			dead = append([]string{j.ID}, dead...) // newest first
		}
		e.clock.Advance(time.Second)
	}
	jobs, err := e.q.ListJobs(e.ctx, lambda.JobFilter{Function: fn, Status: lambda.StatusDead})
	if err != nil {
		t.Fatalf("ListJobs: %v", err)
	}
	var got []string
	for _, j := range jobs {
		got = append(got, j.ID)
		if j.ErrorType != lambda.EFUNCTION || j.ErrorMessage == "" || len(j.Payload) != 0 || len(j.Response) != 0 {
			t.Errorf("listed dead job: %s (payload %d bytes, response %d)", describe(j), len(j.Payload), len(j.Response))
		}
	}
	if !reflect.DeepEqual(got, dead) {
		t.Errorf("dead jobs %v, want %v", got, dead)
	}
}

// testRedrive: a dead job runs again with fresh attempts under the same
// ID; jobs that are not dead, or unknown, are refused and nothing moves.
func testRedrive(t *testing.T, e *env) {
	fn := "redrive"
	e.deploy(fn, lambda.Scaling{MaxRetries: intp(0)})
	e.deploy("other", lambda.Scaling{})
	e.inv.On(fn, Fail("boom"))
	e.open(e.q)
	j := e.submit(fn, `{"again":true}`)
	e.waitStatus(j.ID, lambda.StatusDead)
	e.clock.Advance(7 * time.Hour) // past the event age: redrive starts it again

	release := make(chan struct{})
	e.inv.On(fn, Block(release, Succeed(`{}`)))
	live := e.submit(fn, `{}`)
	e.waitStatus(live.ID, lambda.StatusRunning)
	for _, tc := range []struct {
		ids  []string
		code string
	}{
		{[]string{j.ID, live.ID}, lambda.ECONFLICT},
		{[]string{j.ID, "no-such-job"}, lambda.ENOTFOUND},
	} {
		if _, err := e.q.Redrive(e.ctx, fn, tc.ids); code(err) != tc.code {
			t.Errorf("Redrive %v: %v (%s), want %s", tc.ids, err, code(err), tc.code)
		}
	}
	if _, err := e.q.Redrive(e.ctx, "other", []string{j.ID}); code(err) != lambda.ENOTFOUND {
		t.Errorf("Redrive of another function's job: %v, want not_found", err)
	}
	if s := e.find(j.ID).Status; s != lambda.StatusDead {
		t.Fatalf("a refused redrive moved the job to %s", s)
	}
	close(release)
	e.waitStatus(live.ID, lambda.StatusSucceeded)
	n := len(e.inv.Requests(fn))

	e.inv.On(fn, Succeed(`{"second":"time"}`))
	out, err := e.q.Redrive(e.ctx, fn, []string{j.ID})
	if err != nil || len(out) != 1 || out[0].ID != j.ID || out[0].Attempts != 0 || out[0].Status != lambda.StatusQueued {
		t.Fatalf("Redrive: %v %v; want the job queued with no attempts", out, err)
	}
	if r := e.find(j.ID); !r.CreatedAt.Equal(e.clock.Now()) || !r.NextRunAt.Equal(e.clock.Now()) {
		t.Errorf("redriven job created at %s, next run at %s; want both now (%s): RedriveJobs starts the event age again (job.go), or a job that died of age dies again untried",
			r.CreatedAt, r.NextRunAt, e.clock.Now())
	}
	d := e.waitStatus(j.ID, lambda.StatusSucceeded)
	got := e.inv.WaitRequests(t, fn, n+1)[n].Request
	if got.RequestID != j.ID || got.Attempt != 1 || string(got.Payload) != `{"again":true}` {
		t.Errorf("redriven request: %+v", got)
	}
	if d.Attempts != 1 || string(d.Response) != `{"second":"time"}` || d.ErrorType != "" {
		t.Errorf("redriven job: %s", describe(d))
	}
	if _, err := e.q.Redrive(e.ctx, fn, []string{j.ID}); code(err) != lambda.ECONFLICT {
		t.Errorf("Redrive of a succeeded job: %v, want conflict", err)
	}
}

// testRedriveAll: without IDs, every dead job of the function is redriven,
// and only those.
func testRedriveAll(t *testing.T, e *env) {
	fn := "redrive-all"
	e.deploy(fn, lambda.Scaling{MaxRetries: intp(0)})
	e.inv.On(fn, Fail("1"), Succeed(`{}`), Fail("3"))
	e.open(e.q)
	var ids []string
	for range 3 {
		j := e.submit(fn, `{}`)
		e.wait(j.ID, "ended", func(j *lambda.Job) bool { return !j.Pending() })
		ids = append(ids, j.ID)
	}
	e.inv.On(fn, Succeed(`{}`))
	out, err := e.q.Redrive(e.ctx, fn, nil)
	if err != nil || len(out) != 2 {
		t.Fatalf("Redrive all: %d jobs, %v; want 2", len(out), err)
	}
	for _, id := range []string{ids[0], ids[2]} {
		if d := e.waitStatus(id, lambda.StatusSucceeded); d.Attempts != 1 {
			t.Errorf("job: %s", describe(d))
		}
	}
	if n := len(e.inv.Requests(fn)); n != 5 {
		t.Errorf("%d requests, want 5 (3 then 2 redriven)", n)
	}
	if out, err := e.q.Redrive(e.ctx, fn, nil); err != nil || len(out) != 0 {
		t.Errorf("Redrive all with nothing dead: %v %v", out, err)
	}
}
