package asynctest

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// testOrder: a function's jobs run in the order they were submitted.
func testOrder(t *testing.T, e *env) {
	fn := "ordered"
	e.deploy(fn, lambda.Scaling{AsyncConcurrency: 1})
	var want []string
	for i := range 20 {
		want = append(want, e.submit(fn, `{"i":`+strconv.Itoa(i)+`}`).ID)
	}
	e.open(e.q)
	var got []string
	for _, r := range e.inv.WaitRequests(t, fn, len(want)) {
		got = append(got, r.Request.RequestID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("run order:\n got %v\nwant %v", got, want)
	}
	if p := e.inv.Peak(fn); p != 1 {
		t.Errorf("%d jobs ran at once with async concurrency 1", p)
	}
}

// testConcurrencyCap: no more than async_concurrency jobs of a function
// run at once; a new setting applies from the next claim.
func testConcurrencyCap(t *testing.T, e *env) {
	fn := "capped"
	e.deploy(fn, lambda.Scaling{AsyncConcurrency: 2})
	release := make(chan struct{})
	e.inv.On(fn, Block(release, Succeed(`{}`)))
	var ids []string
	for range 6 {
		ids = append(ids, e.submit(fn, `{}`).ID)
	}
	e.open(e.q)
	e.inv.WaitRequests(t, fn, 2)
	settle()
	if n := len(e.inv.Requests(fn)); n != 2 {
		t.Fatalf("%d jobs started with async concurrency 2", n)
	}
	// Running means running: the others wait queued, and count against
	// the queued limit.
	if c, err := e.jobs.CountJobs(e.ctx); err != nil || c[fn][lambda.StatusRunning] != 2 || c[fn][lambda.StatusQueued] != 4 {
		t.Errorf("counts %v %v; want 2 running, 4 queued", c[fn], err)
	}
	// Settings change at run time: the next round reads them.
	s := lambda.Scaling{AsyncConcurrency: 4}
	if err := e.fns.SetScaling(e.ctx, fn, s); err != nil {
		t.Fatalf("SetScaling: %v", err)
	}
	ids = append(ids, e.submit(fn, `{}`).ID) // wakes the dispatcher
	e.inv.WaitRequests(t, fn, 4)
	settle()
	if n := len(e.inv.Requests(fn)); n != 4 {
		t.Fatalf("%d jobs started with async concurrency 4", n)
	}
	close(release)
	for _, id := range ids {
		e.waitStatus(id, lambda.StatusSucceeded)
	}
	if p := e.inv.Peak(fn); p != 4 {
		t.Errorf("peak concurrency %d, want 4", p)
	}
}

// testRestartAfterClose: a job still running when Close's grace ends is
// cancelled and queued again with its try unconsumed; the next queue on
// the same store runs it under the same ID.
func testRestartAfterClose(t *testing.T, e *env) {
	fn := "interrupted"
	e.deploy(fn, lambda.Scaling{AsyncConcurrency: 1})
	e.inv.On(fn, Block(make(chan struct{}), Succeed(`{}`))) // never released
	e.q.ShutdownGrace = 20 * time.Millisecond
	e.open(e.q)
	j := e.submit(fn, `{"step":1}`)
	e.inv.WaitRequests(t, fn, 1)
	next := e.submit(fn, `{"step":2}`) // waits for j's slot
	settle()
	e.close(e.q)
	for _, id := range []string{j.ID, next.ID} {
		if d := e.find(id); d.Status != lambda.StatusQueued || d.Attempts != 0 || len(d.History) != 0 {
			t.Fatalf("after Close: %s; want queued with no attempt consumed", describe(d))
		}
	}
	if n := len(e.inv.Requests(fn)); n != 1 {
		t.Errorf("%d jobs started before Close, want 1", n)
	}
	if err := e.q.Close(e.ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}

	inv := NewInvoker(e.clock)
	q := e.newQueue(inv)
	e.open(q)
	d := e.waitStatus(j.ID, lambda.StatusSucceeded)
	e.waitStatus(next.ID, lambda.StatusSucceeded)
	got := inv.WaitRequests(t, fn, 2)[0].Request
	if got.RequestID != j.ID || got.Attempt != 1 || d.Attempts != 1 {
		t.Errorf("after restart: request %+v, job %s", got, describe(d))
	}
}

// testRestartAfterCrash: jobs a dead server left running run again at the
// next start, attempts kept (at least once).
func testRestartAfterCrash(t *testing.T, e *env) {
	fn := "crashed"
	e.deploy(fn, lambda.Scaling{})
	j := e.submit(fn, `{}`)
	// The server that died had claimed the job after one failed attempt.
	claimed, err := e.jobs.ClaimJobs(e.ctx, fn, e.clock.Now(), 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimJobs: %v %v", claimed, err)
	}
	c := claimed[0]
	c.Attempts = 1
	c.History = []lambda.JobAttempt{{Attempt: 1, Counted: true, Start: T0, Status: lambda.StatusFailed, ErrorType: lambda.EFUNCTION}}
	if err := e.jobs.UpdateJob(e.ctx, c); err != nil {
		t.Fatalf("UpdateJob: %v", err)
	}
	e.clock.Advance(time.Minute)
	e.open(e.q)
	// The attempt the server died in counts: the job's third is next.
	d := e.waitStatus(j.ID, lambda.StatusSucceeded)
	got := e.inv.WaitRequests(t, fn, 1)[0].Request
	if got.RequestID != j.ID || got.Attempt != 3 || d.Attempts != 3 || len(d.History) != 3 {
		t.Errorf("after restart: request %+v, job %s", got, describe(d))
	}
	if h := d.History[1]; !h.Counted || h.Attempt != 2 || h.ErrorType != lambda.EUNAVAILABLE || h.Error != lambda.InterruptedAttemptError {
		t.Errorf("the interrupted attempt's record: %+v", h)
	}
}

// testServerKillingJobEnds: a job whose every attempt kills the server
// runs at most its tries' worth of times; then it is dead, untried again,
// and says why.
func testServerKillingJobEnds(t *testing.T, e *env) {
	fn := "killer"
	e.deploy(fn, lambda.Scaling{MaxRetries: intp(1)})
	j := e.submit(fn, `{}`)
	for i := range 2 {
		// A server takes the job and dies in it; the next one starts.
		claimed, err := e.jobs.ClaimJobs(e.ctx, fn, e.clock.Now(), 10)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("crash %d: ClaimJobs: %v %v", i+1, claimed, err)
		}
		if n, err := e.jobs.RequeueRunning(e.ctx, e.clock.Now()); err != nil || n != 1 {
			t.Fatalf("crash %d: RequeueRunning: %d %v", i+1, n, err)
		}
		if got := e.find(j.ID); got.Status != lambda.StatusQueued || got.Attempts != i+1 {
			t.Fatalf("after crash %d: %s", i+1, describe(got))
		}
	}
	e.open(e.q)
	d := e.waitStatus(j.ID, lambda.StatusDead)
	if d.Attempts != 2 || d.ErrorType != lambda.EUNAVAILABLE || len(d.History) != 2 {
		t.Errorf("after two crashes with one retry: %s", describe(d))
	}
	if n := len(e.inv.Requests(fn)); n != 0 {
		t.Errorf("the function got %d requests, want none: its tries were used up", n)
	}
}

// testGracefulClose: Close waits for a running job that ends within the
// grace period, whose outcome is recorded.
func testGracefulClose(t *testing.T, e *env) {
	fn := "finishing"
	e.deploy(fn, lambda.Scaling{})
	release := make(chan struct{})
	e.inv.On(fn, Block(release, Succeed(`{"finished":true}`)))
	e.q.ShutdownGrace = 10 * time.Second
	e.open(e.q)
	j := e.submit(fn, `{}`)
	e.waitStatus(j.ID, lambda.StatusRunning)
	closed := make(chan error, 1)
	go func() { closed <- e.q.Close(context.Background()) }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a job runs within its grace", err)
	case <-time.After(50 * time.Millisecond):
	}
	// Closing: no new job is taken, but a submission is still stored.
	later := e.submit(fn, `{}`)
	close(release)
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Close did not return after the job ended")
	}
	if d := e.find(j.ID); d.Status != lambda.StatusSucceeded || string(d.Response) != `{"finished":true}` {
		t.Errorf("job: %s", describe(d))
	}
	if d := e.find(later.ID); d.Status != lambda.StatusQueued {
		t.Errorf("job submitted while closing is %s, want queued for the next start", d.Status)
	}
}

// testRetention: ended jobs older than the retention are pruned, by the
// pruner's own clock; pending and younger ones stay.
func testRetention(t *testing.T, e *env) {
	fn := "pruned"
	e.deploy(fn, lambda.Scaling{MaxRetries: intp(0)})
	e.q.Retention, e.q.PruneInterval = time.Hour, 10*time.Minute
	release := make(chan struct{})
	e.inv.On(fn, Succeed(`{}`), Fail("x"), Block(release, Succeed(`{}`)))
	e.open(e.q)
	old := e.submit(fn, `{}`)
	e.waitStatus(old.ID, lambda.StatusSucceeded) // ended at T0
	e.clock.Advance(30 * time.Minute)
	young := e.submit(fn, `{}`)
	e.waitStatus(young.ID, lambda.StatusDead) // ended at T0+30m
	running := e.submit(fn, `{}`)
	e.waitStatus(running.ID, lambda.StatusRunning)
	e.clock.Advance(40 * time.Minute) // T0+70m: prunes what ended before T0+10m
	deadline := time.Now().Add(waitLimit)
	for {
		_, err := e.q.FindJob(e.ctx, old.ID)
		if code(err) == lambda.ENOTFOUND {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job that ended 70 minutes ago is still there (%v)", err)
		}
		time.Sleep(time.Millisecond)
	}
	e.find(young.ID)
	e.find(running.ID)
	close(release)
	e.waitStatus(running.ID, lambda.StatusSucceeded)
}
