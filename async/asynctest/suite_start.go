package asynctest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// testStartedAtOnce: while the function's dispatcher has a free slot and
// nothing of the function waits, a submission is created running and runs
// at once, without a claim; its record says running from the start and
// it ends as any job does.
func testStartedAtOnce(t *testing.T, e *env) {
	fn := "direct"
	e.deploy(fn, lambda.Scaling{AsyncConcurrency: 3})
	release := make(chan struct{})
	e.inv.On(fn, Block(release, Succeed(`{"first":true}`)), Succeed(`{"next":true}`))
	e.open(e.q)
	first := e.submit(fn, `{"n":1}`) // starts the dispatcher, which claims it
	e.inv.WaitRequests(t, fn, 1)
	second := e.submit(fn, `{"n":2}`)
	if second.Status != lambda.StatusRunning || second.StartedAt == nil || !second.StartedAt.Equal(second.CreatedAt) {
		t.Errorf("a submission with a free slot and nothing waiting: %s, started %v; want running, started at creation", second.Status, second.StartedAt)
	}
	e.inv.WaitRequests(t, fn, 2)
	got := e.inv.Requests(fn)[1].Request
	if got.RequestID != second.ID || got.Attempt != 1 || string(got.Payload) != `{"n":2}` || got.Trigger != lambda.TriggerAsync {
		t.Errorf("the started job's request: %+v", got)
	}
	done := e.waitStatus(second.ID, lambda.StatusSucceeded)
	if done.Attempts != 1 || len(done.History) != 1 || string(done.Response) != `{"next":true}` {
		t.Errorf("the started job ended %s", describe(done))
	}
	if f := e.find(first.ID); f.Status != lambda.StatusRunning {
		t.Errorf("the first job: %s, want still running", f.Status)
	}
	close(release)
	e.waitStatus(first.ID, lambda.StatusSucceeded)
}

// testStartKeepsOrder: a submission is never started ahead of a job of its
// function that waits (queued, or retrying later): it is queued behind
// it, and the slots bound the jobs running whichever way they started.
func testStartKeepsOrder(t *testing.T, e *env) {
	fn := "ordered-start"
	e.deploy(fn, lambda.Scaling{AsyncConcurrency: 2, RetryDelay: lambda.Duration(time.Minute)})
	release := make(chan struct{})
	e.inv.On(fn, Fail("once"), Block(release, Succeed(`{}`)))
	e.open(e.q)
	failing := e.submit(fn, `{"n":0}`)
	e.waitStatus(failing.ID, lambda.StatusRetrying) // waits a minute to retry
	blocked := e.submit(fn, `{"n":1}`)
	if blocked.Status != lambda.StatusQueued {
		t.Errorf("a submission while a retry waits: %s, want queued behind it", blocked.Status)
	}
	e.waitStatus(blocked.ID, lambda.StatusRunning) // claimed: a slot was free
	// One slot left, and a retry waiting: the next ones queue.
	var ids []string
	for i := range 3 {
		j := e.submit(fn, fmt.Sprintf(`{"n":%d}`, i+2))
		if j.Status != lambda.StatusQueued {
			t.Errorf("submission %d while a job waits: %s, want queued", i+2, j.Status)
		}
		ids = append(ids, j.ID)
	}
	e.inv.WaitRequests(t, fn, 3)
	settle()
	if n := len(e.inv.Requests(fn)); n != 3 {
		t.Errorf("%d requests with async concurrency 2 and one job blocked, want 3 (the failed one, the blocked one, the first queued)", n)
	}
	e.clock.Advance(time.Minute)
	close(release)
	for _, id := range append(ids, failing.ID, blocked.ID) {
		e.waitStatus(id, lambda.StatusSucceeded)
	}
	if p := e.inv.Peak(fn); p > 2 {
		t.Errorf("peak concurrency %d, over async concurrency 2", p)
	}
}

// testStartUnderLoad: submissions from many goroutines while jobs run,
// some started at once and some claimed, never run more than the async
// concurrency at once, and every one runs exactly once.
func testStartUnderLoad(t *testing.T, e *env) {
	fn := "busy"
	e.deploy(fn, lambda.Scaling{AsyncConcurrency: 3})
	e.inv.On(fn, func(ctx context.Context, req *lambda.InvokeRequest) (*lambda.InvokeResult, error) {
		time.Sleep(time.Millisecond)
		return Succeed(`{}`)(ctx, req)
	})
	e.open(e.q)
	var (
		mu      sync.Mutex
		ids     []string
		started int
		wg      sync.WaitGroup
	)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				j, _, err := e.q.Submit(e.ctx, &lambda.InvokeRequest{Function: fn, Payload: []byte(fmt.Sprintf(`{"g":%d,"i":%d}`, g, i))})
				if err != nil {
					t.Errorf("Submit: %v", err)
					return
				}
				mu.Lock()
				ids = append(ids, j.ID)
				if j.Status == lambda.StatusRunning {
					started++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if j := e.waitStatus(id, lambda.StatusSucceeded); j.Attempts != 1 {
			t.Errorf("job %s: %s", id, describe(j))
		}
	}
	runs := map[string]int{}
	for _, r := range e.inv.Requests(fn) {
		runs[r.Request.RequestID]++
	}
	for _, id := range ids {
		if runs[id] != 1 {
			t.Errorf("job %s ran %d times, want once", id, runs[id])
		}
	}
	if p := e.inv.Peak(fn); p > 3 {
		t.Errorf("peak concurrency %d, over async concurrency 3", p)
	}
	t.Logf("%d of %d submissions started at once", started, len(ids))
}

// testStartedJobSurvivesCrash: a job created running is known to the store
// as running, so a server that dies during it queues it again at the next
// start, as a claimed one, its attempt counted.
func testStartedJobSurvivesCrash(t *testing.T, e *env) {
	fn := "started-crash"
	e.deploy(fn, lambda.Scaling{AsyncConcurrency: 2})
	release := make(chan struct{})
	e.inv.On(fn, Block(release, Succeed(`{}`)))
	e.open(e.q)
	e.submit(fn, `{"n":1}`)
	e.inv.WaitRequests(t, fn, 1)
	j := e.submit(fn, `{"n":2}`)
	if j.Status != lambda.StatusRunning {
		t.Fatalf("second submission: %s, want running", j.Status)
	}
	if got := e.find(j.ID); got.Status != lambda.StatusRunning || got.StartedAt == nil {
		t.Errorf("the stored record of a started job: %s, started %v; want running", got.Status, got.StartedAt)
	}
	// The next server's Open queues again what the store holds running:
	// this job too, its interrupted attempt counted.
	if _, err := e.jobs.RequeueRunning(e.ctx, e.clock.Now()); err != nil {
		t.Fatalf("RequeueRunning: %v", err)
	}
	if got := e.find(j.ID); got.Status != lambda.StatusQueued || got.Attempts != 1 || len(got.History) != 1 {
		t.Errorf("the started job after RequeueRunning: %s", describe(got))
	}
	close(release)
}
