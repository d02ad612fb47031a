package asynctest

import (
	"testing"

	"github.com/lambdahq/lambda"
)

// testRedriveOverTheLimit: redriven jobs count against the function's
// limit of waiting jobs as new ones do. A redrive that would pass it is
// throttled and moves nothing; one that fits goes through. Before, a
// redrive of every dead job ignored the limit, and the function then held
// more waiting jobs than it allows, refusing new events meanwhile.
func testRedriveOverTheLimit(t *testing.T, e *env) {
	fn := "redrive-limit"
	e.deploy(fn, lambda.Scaling{MaxRetries: intp(0)})
	e.inv.On(fn, Fail("boom"))
	e.open(e.q)
	var dead []string
	for range 4 {
		j := e.submit(fn, `{}`)
		e.waitStatus(j.ID, lambda.StatusDead)
		dead = append(dead, j.ID)
	}
	// A closed queue dispatches nothing: redriven jobs wait, so the counts
	// hold. (Closing twice, here and at the end, is allowed.)
	e.close(e.q)
	e.q.MaxQueued = 3
	counts := func() map[string]int {
		t.Helper()
		c, err := e.jobs.CountJobs(e.ctx)
		if err != nil {
			t.Fatalf("CountJobs: %v", err)
		}
		return c[fn]
	}
	for _, step := range []struct {
		name         string
		ids          []string
		code         string
		queued, died int // after the step
	}{
		{"all four over a limit of 3", nil, lambda.ETHROTTLED, 0, 4},
		{"two of them", dead[:2], "", 2, 2},
		{"two more: 4 waiting", dead[2:], lambda.ETHROTTLED, 2, 2},
		{"one more: 3 waiting", dead[2:3], "", 3, 1},
		{"all that is left: 4 waiting", nil, lambda.ETHROTTLED, 3, 1},
	} {
		out, err := e.q.Redrive(e.ctx, fn, step.ids)
		if code(err) != step.code {
			t.Fatalf("%s: %v (%s), want %q", step.name, err, code(err), step.code)
		}
		if err == nil && len(out) != len(step.ids) {
			t.Errorf("%s: %d redriven, want %d", step.name, len(out), len(step.ids))
		}
		if err != nil && lambda.ThrottleReasonOf(err) != lambda.ThrottleAsyncQueueFull {
			t.Errorf("%s: %v, want the queue-full throttle", step.name, err)
		}
		if c := counts(); c[lambda.StatusQueued] != step.queued || c[lambda.StatusDead] != step.died {
			t.Errorf("%s: counts %v, want %d queued and %d dead", step.name, c, step.queued, step.died)
		}
	}
}
