package asynctest

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// testDeletedFunction: jobs of a function deleted while they wait never
// run: the store drops them with the function, or the queue ends them
// dead, not found.
func testDeletedFunction(t *testing.T, e *env) {
	fn := "deleted"
	e.deploy(fn, lambda.Scaling{})
	j := e.submit(fn, `{}`)
	if err := e.fns.DeleteFunction(e.ctx, fn); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	e.open(e.q)
	e.deploy("alive", lambda.Scaling{})
	alive := e.submit("alive", `{}`)
	e.waitStatus(alive.ID, lambda.StatusSucceeded)
	for deadline := time.Now().Add(waitLimit); ; time.Sleep(time.Millisecond) {
		got, err := e.jobs.FindJob(e.ctx, j.ID)
		if code(err) == lambda.ENOTFOUND || (err == nil && got.Status == lambda.StatusDead && got.ErrorType == lambda.ENOTFOUND) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job of the deleted function: %v %v; want it gone, or dead not found", got, err)
		}
	}
	if n := len(e.inv.Requests(fn)); n != 0 {
		t.Errorf("a deleted function was invoked %d times", n)
	}
}

// testLargeResponse: a response past MaxStoredResponseBytes is cut and
// flagged; its destination gets the cut text as a JSON string.
func testLargeResponse(t *testing.T, e *env) {
	fn := "verbose"
	e.deploy(fn, lambda.Scaling{OnSuccess: "verbose-dest"})
	e.deploy("verbose-dest", lambda.Scaling{})
	big := `{"data":"` + strings.Repeat("x", lambda.MaxStoredResponseBytes) + `"}`
	e.inv.On(fn, Succeed(big))
	e.open(e.q)
	j := e.submit(fn, `{}`)
	d := e.waitStatus(j.ID, lambda.StatusSucceeded)
	if !d.ResponseTruncated || !bytes.Equal(d.Response, []byte(big[:lambda.MaxStoredResponseBytes])) {
		t.Errorf("response of %d bytes kept as %d bytes, truncated %v; want the first %d", len(big), len(d.Response), d.ResponseTruncated, lambda.MaxStoredResponseBytes)
	}
	rec := destinationRecord(t, e, "verbose-dest", 1)
	if want := `"{\"data\":\"xxx`; !strings.HasPrefix(string(rec.ResponsePayload), want) {
		t.Errorf("destination response payload starts %.20s, want a JSON string", rec.ResponsePayload)
	}
}

// testSyncJobsNotDispatched: a synchronous call stored for its
// idempotency key is not the queue's to run; one a dead server left
// running ends failed at the next start.
func testSyncJobsNotDispatched(t *testing.T, e *env) {
	fn := "sync-calls"
	e.deploy(fn, lambda.Scaling{})
	j := &lambda.Job{ID: "00000000-0000-4000-8000-000000000001", Function: fn, Trigger: lambda.TriggerInvoke, Sync: true,
		Payload: []byte(`{}`), IdempotencyKey: "k", PayloadHash: "h", CreatedAt: T0, NextRunAt: T0}
	if _, _, err := e.jobs.CreateJob(e.ctx, lambda.NewJob{Job: j}); err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	e.open(e.q)
	d := e.waitStatus(j.ID, lambda.StatusFailed)
	alive := e.submit(fn, `{}`)
	e.waitStatus(alive.ID, lambda.StatusSucceeded)
	if n := len(e.inv.Requests(fn)); n != 1 {
		t.Errorf("%d requests, want 1: the sync job must not run", n)
	}
	if d.FinishedAt == nil {
		t.Errorf("sync job left running by a dead server: %s", describe(d))
	}
}

// testOpenClose: Close before Open and twice is fine; Open twice is not.
func testOpenClose(t *testing.T, e *env) {
	if err := e.q.Close(e.ctx); err != nil {
		t.Errorf("Close before Open: %v", err)
	}
	e.open(e.q)
	if err := e.q.Open(e.ctx); err == nil {
		t.Error("a second Open succeeded")
	}
	e.close(e.q)
	e.close(e.q)
}
