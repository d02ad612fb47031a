package asynctest

import (
	"testing"

	"github.com/lambdahq/lambda"
)

// testDestinationPastTheLimit: a destination record is not refused for
// its destination's queue being full. The limit is backpressure on
// clients, who can send again; the job a record tells of has ended, so a
// refused record was lost (the job only noted "not delivered"). Records
// take the destination's queue up to twice the limit, which keeps it
// bounded; a client's event is still refused at the limit.
func testDestinationPastTheLimit(t *testing.T, e *env) {
	fn, dest := "feeds-a-full-queue", "full-destination"
	e.deploy(fn, lambda.Scaling{MaxRetries: intp(0), OnFailure: dest})
	e.deploy(dest, lambda.Scaling{AsyncConcurrency: 1})
	release := make(chan struct{})
	e.inv.On(fn, Fail("boom"))
	e.inv.On(dest, Block(release, Succeed(`{}`)))
	e.q.MaxQueued = 2
	e.open(e.q)
	defer close(release)

	// One job runs (held), two wait: the destination's queue is full.
	first := e.submit(dest, `{}`)
	e.waitStatus(first.ID, lambda.StatusRunning)
	e.submit(dest, `{}`)
	e.submit(dest, `{}`)
	if _, _, err := e.q.Submit(e.ctx, &lambda.InvokeRequest{Function: dest, Payload: []byte(`{}`)}); code(err) != lambda.ETHROTTLED {
		t.Fatalf("a client's event past the limit: %v, want throttled", err)
	}

	j := e.submit(fn, `{}`)
	d := e.waitStatus(j.ID, lambda.StatusDead)
	if dst := d.Destination; dst == nil || dst.ID == "" || dst.Error != "" {
		t.Fatalf("the failure record to a full destination: %+v; want it delivered", dst)
	}
	rec, err := e.q.FindJob(e.ctx, d.Destination.ID)
	if err != nil || rec.Function != dest || rec.Status != lambda.StatusQueued {
		t.Fatalf("the record's job: %v, %v; want it queued on %s", rec, err, dest)
	}
}
