package asynctest

import (
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// testLastTryAtEventAge: when the backoff after a throttle or a platform
// error would land past the event's age, the job is tried once more at
// its deadline rather than dropped early; it dies (EventAgeExceeded) only
// if that last try fails too.
func testLastTryAtEventAge(t *testing.T, e *env) {
	// Every backoff is 1-2 min, longer than the age (1 min) left.
	e.q.MinBackoff, e.q.MaxBackoff = 2*time.Minute, 2*time.Minute
	deadline := T0.Add(time.Minute)
	e.deploy("back-in-time", lambda.Scaling{MaxEventAge: lambda.Duration(time.Minute)})
	e.deploy("down-for-good", lambda.Scaling{MaxEventAge: lambda.Duration(time.Minute), OnFailure: "age-dest"})
	e.deploy("age-dest", lambda.Scaling{})
	e.inv.On("back-in-time", Error(lambda.EUNAVAILABLE), Succeed(`"ok"`))
	e.inv.On("down-for-good", Error(lambda.EUNAVAILABLE))
	e.open(e.q)
	back := e.submit("back-in-time", `{}`)
	down := e.submit("down-for-good", `{}`)

	for _, id := range []string{back.ID, down.ID} {
		r := e.wait(id, "retrying", func(j *lambda.Job) bool { return !j.Pending() || j.Status == lambda.StatusRetrying })
		if r.Status != lambda.StatusRetrying || !r.NextRunAt.Equal(deadline) {
			t.Fatalf("after a platform error at +0: %s; want retrying at the deadline, +1m", describe(r))
		}
	}
	e.clock.Advance(time.Minute)
	ok := e.waitStatus(back.ID, lambda.StatusSucceeded)
	if ok.Attempts != 1 || len(ok.History) != 2 || !ok.History[1].Start.Equal(deadline) {
		t.Errorf("back-in-time: %s; want succeeded by its try at +1m", describe(ok))
	}
	d := e.waitStatus(down.ID, lambda.StatusDead)
	if len(e.inv.Requests("down-for-good")) != 2 || !d.FinishedAt.Equal(deadline) || d.ErrorType != lambda.EUNAVAILABLE {
		t.Errorf("down-for-good: %s, %d requests; want dead at +1m after 2 tries", describe(d), len(e.inv.Requests("down-for-good")))
	}
	if rec := destinationRecord(t, e, "age-dest", 1); rec.RequestContext.Condition != "EventAgeExceeded" {
		t.Errorf("condition %q, want EventAgeExceeded", rec.RequestContext.Condition)
	}
}
