// Package asynctest holds what tests of the async queue share: the suite
// every lambda.JobStore must pass under the queue (Run), a fake clock, a
// scriptable fake Invoker and in-memory stores.
package asynctest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/async"
)

// T0 is where the suite's fake clock starts. It is far from the wall
// clock, so a store that reads the wall clock where it was given a time
// fails the suite.
var T0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// waitLimit bounds every wait of the suite for the queue to do something:
// generous, for loaded CI machines and fsyncs of the real store.
const waitLimit = 15 * time.Second

// Settings of the queue under test.
const (
	minBackoff = time.Second
	maxBackoff = 8 * time.Second
)

// Run checks async.Queue over the stores open returns, fresh for every
// test: retries, event age, throttles, destinations, dead letters,
// redrive, idempotency, order and concurrency, restart recovery, graceful
// close, retention, limits and validation.
func Run(t *testing.T, open func(t *testing.T) (lambda.JobStore, lambda.FunctionStore)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"RetrySchedule", testRetrySchedule},
		{"MaxRetries", testMaxRetries},
		{"SucceedsAfterFailures", testSucceedsAfterFailures},
		{"CrashAndTimeoutConsumeRetries", testCrashAndTimeout},
		{"EventAgeEndsRetries", testEventAgeEndsRetries},
		{"EventAgeExpiredBeforeRun", testEventAgeExpiredBeforeRun},
		{"ThrottlesDoNotConsumeRetries", testThrottlesNotCounted},
		{"ThrottleHoldsBackOtherJobs", testThrottleHoldsBack},
		{"ThrottledUntilEventAgeRunsOut", testThrottledUntilAge},
		{"LastTryAtEventAge", testLastTryAtEventAge},
		{"FunctionGoneMidFlight", testFunctionGone},
		{"InvokeRequest", testInvokeRequest},
		{"Destinations", testDestinations},
		{"MissingDestination", testMissingDestination},
		{"DestinationChainStops", testDestinationChainStops},
		{"DestinationRecordCut", testDestinationRecordCut},
		{"DestinationPastTheLimit", testDestinationPastTheLimit},
		{"DeadLetters", testDeadLetters},
		{"Redrive", testRedrive},
		{"RedriveAll", testRedriveAll},
		{"RedriveOverTheLimit", testRedriveOverTheLimit},
		{"ListPages", testListPages},
		{"Idempotency", testIdempotency},
		{"OrderPerFunction", testOrder},
		{"AsyncConcurrencyCap", testConcurrencyCap},
		{"RestartAfterGracefulClose", testRestartAfterClose},
		{"RestartAfterCrash", testRestartAfterCrash},
		{"ServerKillingJobEnds", testServerKillingJobEnds},
		{"GracefulCloseLetsJobsFinish", testGracefulClose},
		{"Retention", testRetention},
		{"QueueLimit", testQueueLimit},
		{"SubmitValidation", testSubmitValidation},
		{"SubmitDefaults", testSubmitDefaults},
		{"OverlapSkip", testOverlapSkip},
		{"OverlapQueue", testOverlapQueue},
		{"DeletedFunction", testDeletedFunction},
		{"LargeResponse", testLargeResponse},
		{"SyncJobsNotDispatched", testSyncJobsNotDispatched},
		{"OpenClose", testOpenClose},
		{"FunctionLookup", testFunctionLookup},
		{"StartedAtOnce", testStartedAtOnce},
		{"StartKeepsOrder", testStartKeepsOrder},
		{"StartUnderLoad", testStartUnderLoad},
		{"StartedJobSurvivesCrash", testStartedJobSurvivesCrash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			jobs, fns := open(t)
			tt.fn(t, newEnv(t, jobs, fns))
		})
	}
}

// env is one test's queue, stores, clock and invoker.
type env struct {
	t     *testing.T
	ctx   context.Context
	jobs  lambda.JobStore
	fns   lambda.FunctionStore
	clock *FakeClock
	inv   *Invoker
	q     *async.Queue
}

func newEnv(t *testing.T, jobs lambda.JobStore, fns lambda.FunctionStore) *env {
	clock := NewFakeClock(T0)
	e := &env{t: t, ctx: context.Background(), jobs: jobs, fns: fns, clock: clock, inv: NewInvoker(clock)}
	e.q = e.newQueue(e.inv)
	return e
}

// newQueue returns a queue over the env's stores and clock, not open.
func (e *env) newQueue(inv lambda.Invoker) *async.Queue {
	q := async.New(e.jobs, e.fns, inv)
	q.Clock = e.clock
	q.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	q.MinBackoff, q.MaxBackoff = minBackoff, maxBackoff
	q.ShutdownGrace = 5 * time.Second
	return q
}

// open opens q and closes it when the test ends.
func (e *env) open(q *async.Queue) {
	e.t.Helper()
	if err := q.Open(e.ctx); err != nil {
		e.t.Fatalf("Open: %v", err)
	}
	e.t.Cleanup(func() { e.close(q) })
}

func (e *env) close(q *async.Queue) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		e.t.Errorf("Close: %v", err)
	}
}

// deploy creates function name (version 1, Lambda protocol) with s.
func (e *env) deploy(name string, s lambda.Scaling) {
	e.t.Helper()
	v := &lambda.Version{
		Function:   name,
		Number:     1,
		Image:      "func-" + name + ":v1",
		ImageID:    "sha256:" + name,
		CodeSHA256: "c0de",
		CreatedAt:  T0.Add(-time.Hour),
		Config: lambda.Config{
			Runtime:     lambda.RuntimeGo,
			Protocol:    lambda.ProtocolAWS,
			Port:        8080,
			MemoryBytes: 128 << 20,
			Timeout:     lambda.Duration(30 * time.Second),
		},
	}
	if err := e.fns.PublishVersion(e.ctx, v); err != nil {
		e.t.Fatalf("PublishVersion %s: %v", name, err)
	}
	if err := e.fns.SetScaling(e.ctx, name, s); err != nil {
		e.t.Fatalf("SetScaling %s: %v", name, err)
	}
}

// submit queues payload for function and returns the new job.
func (e *env) submit(function, payload string) *lambda.Job {
	e.t.Helper()
	j, created, err := e.q.Submit(e.ctx, &lambda.InvokeRequest{Function: function, Payload: []byte(payload), Trigger: lambda.TriggerAsync})
	if err != nil {
		e.t.Fatalf("Submit to %s: %v", function, err)
	}
	if !created {
		e.t.Fatalf("Submit to %s: created false for a job without an idempotency key", function)
	}
	return j
}

func (e *env) find(id string) *lambda.Job {
	e.t.Helper()
	j, err := e.q.FindJob(e.ctx, id)
	if err != nil {
		e.t.Fatalf("FindJob %s: %v", id, err)
	}
	return j
}

// wait polls job id until ok, failing the test after waitLimit.
func (e *env) wait(id, what string, ok func(*lambda.Job) bool) *lambda.Job {
	e.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		j := e.find(id)
		if ok(j) {
			return j
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %s: not %s after %s: %s", id, what, waitLimit, describe(j))
		}
		time.Sleep(time.Millisecond)
	}
}

// waitStatus waits until job id has status.
func (e *env) waitStatus(id, status string) *lambda.Job {
	e.t.Helper()
	return e.wait(id, status, func(j *lambda.Job) bool { return j.Status == status })
}

// drive moves the clock to each retry of job id until ok: the way to run a
// job through backoffs whose jittered times the test cannot know.
func (e *env) drive(id, what string, ok func(*lambda.Job) bool) *lambda.Job {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j := e.find(id)
		if ok(j) {
			return j
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %s: not %s after 30s of driving the clock: %s", id, what, describe(j))
		}
		if now := e.clock.Now(); j.Status == lambda.StatusRetrying && j.NextRunAt.After(now) {
			e.clock.Advance(j.NextRunAt.Sub(now))
			continue
		}
		time.Sleep(time.Millisecond)
	}
}

// settle gives the queue a moment to do what it must not: a check that
// something does not happen can only wait and look.
func settle() { time.Sleep(30 * time.Millisecond) }

func describe(j *lambda.Job) string {
	s := fmt.Sprintf("status %s, attempts %d, next run %s, error %s %q", j.Status, j.Attempts, j.NextRunAt.Format(time.RFC3339Nano), j.ErrorType, j.ErrorMessage)
	for _, a := range j.History {
		s += fmt.Sprintf("\n  attempt %d counted=%v %s %s %q", a.Attempt, a.Counted, a.Status, a.ErrorType, a.Error)
	}
	return s
}

func intp(n int) *int { return &n }

// code returns err's error code, for messages.
func code(err error) string { return lambda.ErrorCode(err) }
