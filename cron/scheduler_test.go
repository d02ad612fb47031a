package cron

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

var t0 = time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)

type harness struct {
	store *memStore
	queue *fakeQueue
	clock *fakeClock
	logs  *syncBuffer
	s     *Scheduler
}

// newHarness builds a scheduler that never sleeps more than a day, so the
// durations it arms are exactly the time to the next schedule.
func newHarness(t *testing.T, now time.Time, list ...*lambda.Schedule) *harness {
	t.Helper()
	h := &harness{store: newMemStore(list...), queue: newFakeQueue(), clock: newFakeClock(now), logs: &syncBuffer{}}
	h.s = h.newScheduler()
	return h
}

func (h *harness) newScheduler() *Scheduler {
	s := NewScheduler(h.store, h.queue)
	s.Clock = h.clock
	s.Logger = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s.MaxSleep = 24 * time.Hour
	return s
}

func (h *harness) open(t *testing.T) {
	t.Helper()
	if err := h.s.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.close(t) })
}

func (h *harness) close(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.s.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// finish ends every job created so far, as the workers would.
func (h *harness) finish() {
	for _, j := range h.queue.created() {
		h.queue.setStatus(j.ID, lambda.StatusSucceeded)
	}
}

func sched(id, function, expr string, next time.Time) *lambda.Schedule {
	return &lambda.Schedule{ID: id, Function: function, Cron: expr, Overlap: lambda.OverlapSkip, NextRunAt: next, CreatedAt: t0}
}

func wantArmed(t *testing.T, h *harness, want time.Duration) {
	t.Helper()
	if got := h.clock.waitArmed(t); got != want {
		t.Fatalf("scheduler sleeps %s, want %s", got, want)
	}
}

func wantMarks(t *testing.T, h *harness, want ...mark) {
	t.Helper()
	if got := h.store.getMarks(); !slices.Equal(got, want) {
		t.Fatalf("ticks recorded = %v, want %v", got, want)
	}
}

func wantJobs(t *testing.T, h *harness, want int) []lambda.Job {
	t.Helper()
	jobs := h.queue.created()
	if len(jobs) != want {
		t.Fatalf("%d jobs queued, want %d: %+v", len(jobs), want, jobs)
	}
	return jobs
}

// key is the idempotency key of schedule id's tick at.
func key(id string, at time.Time) string { return "cron:" + id + "@" + at.Format(time.RFC3339Nano) }

func TestSchedulerQueuesTicks(t *testing.T) {
	greet := sched("s1", "greet", "0 * * * *", t0.Add(time.Hour))
	greet.Data = json.RawMessage(`{"name":"cron"}`)
	other := sched("s2", "other", "*/30 * * * *", t0.Add(30*time.Minute))
	other.Overlap = lambda.OverlapQueue
	h := newHarness(t, t0.Add(30*time.Second), greet, other)
	h.open(t)

	wantArmed(t, h, 29*time.Minute+30*time.Second)
	wantMarks(t, h)
	h.clock.Advance(29*time.Minute + 30*time.Second)
	want := lambda.InvokeRequest{Function: "other", Payload: []byte("{}"), Trigger: lambda.TriggerCron,
		Schedule: "s2", Overlap: lambda.OverlapQueue, IdempotencyKey: key("s2", t0.Add(30*time.Minute))}
	if got := h.queue.next(t); !equalRequest(got, &want) {
		t.Fatalf("submitted %+v, want %+v", got, want)
	}
	wantArmed(t, h, 30*time.Minute)
	wantMarks(t, h, mark{"s2", t0.Add(30 * time.Minute), t0.Add(time.Hour)})

	h.finish()
	h.clock.Advance(30 * time.Minute)
	got := []*lambda.InvokeRequest{h.queue.next(t), h.queue.next(t)}
	slices.SortFunc(got, func(a, b *lambda.InvokeRequest) int { return strings.Compare(a.Function, b.Function) })
	wants := []lambda.InvokeRequest{
		{Function: "greet", Payload: []byte(`{"name":"cron"}`), Trigger: lambda.TriggerCron, Schedule: "s1",
			Overlap: lambda.OverlapSkip, IdempotencyKey: key("s1", t0.Add(time.Hour))},
		{Function: "other", Payload: []byte("{}"), Trigger: lambda.TriggerCron, Schedule: "s2",
			Overlap: lambda.OverlapQueue, IdempotencyKey: key("s2", t0.Add(time.Hour))},
	}
	for i := range wants {
		if !equalRequest(got[i], &wants[i]) {
			t.Errorf("submitted %+v, want %+v", got[i], wants[i])
		}
	}
	wantArmed(t, h, 30*time.Minute)
	wantMarks(t, h,
		mark{"s2", t0.Add(30 * time.Minute), t0.Add(time.Hour)},
		mark{"s1", t0.Add(time.Hour), t0.Add(2 * time.Hour)},
		mark{"s2", t0.Add(time.Hour), t0.Add(90 * time.Minute)})
	wantJobs(t, h, 3)
	if !strings.Contains(h.logs.String(), `msg="cron: tick queued" schedule=s1 function=greet job=job`) {
		t.Errorf("queued ticks not logged:\n%s", h.logs)
	}
}

func equalRequest(a, b *lambda.InvokeRequest) bool {
	return reflect.DeepEqual(a, b)
}

func TestSchedulerMissedTicksQueueOnceAfterRestart(t *testing.T) {
	h := newHarness(t, t0, sched("s1", "greet", "0 * * * *", t0.Add(time.Hour)))
	h.open(t)
	wantArmed(t, h, time.Hour)
	h.clock.Advance(time.Hour)
	h.queue.next(t)
	wantArmed(t, h, time.Hour)
	h.close(t)
	h.finish()

	// Down for five hours and a half: five ticks missed, one queued.
	h.clock.Advance(5*time.Hour + 30*time.Minute)
	h.s = h.newScheduler()
	h.open(t)
	if got := h.queue.next(t); got.IdempotencyKey != key("s1", t0.Add(2*time.Hour)) {
		t.Errorf("the collapsed tick is keyed %q, want the first missed tick's time", got.IdempotencyKey)
	}
	wantArmed(t, h, 30*time.Minute)
	h.queue.none(t)
	wantMarks(t, h,
		mark{"s1", t0.Add(time.Hour), t0.Add(2 * time.Hour)},
		mark{"s1", t0.Add(6*time.Hour + 30*time.Minute), t0.Add(7 * time.Hour)})
	wantJobs(t, h, 2)
}

// TestSchedulerOverlap runs three ticks while the first tick's job runs:
// the queue refuses what the policy forbids (ECONFLICT) and the scheduler
// records a refused tick as skipped, not as a run.
func TestSchedulerOverlap(t *testing.T) {
	for _, tt := range []struct {
		overlap  string
		sent     string    // the policy submitted
		wantJobs int       // after the third tick
		wantLast time.Time // LastRunAt after the third tick
	}{
		{lambda.OverlapSkip, lambda.OverlapSkip, 1, t0.Add(time.Minute)},
		{"", lambda.OverlapSkip, 1, t0.Add(time.Minute)}, // skip is the default
		{lambda.OverlapQueue, lambda.OverlapQueue, 2, t0.Add(2 * time.Minute)},
		{lambda.OverlapAllow, lambda.OverlapAllow, 3, t0.Add(3 * time.Minute)},
	} {
		t.Run(tt.overlap, func(t *testing.T) {
			sc := sched("s1", "slow", "* * * * *", t0.Add(time.Minute))
			sc.Overlap = tt.overlap
			h := newHarness(t, t0, sc)
			h.open(t)

			wantArmed(t, h, time.Minute)
			h.clock.Advance(time.Minute)
			if got := h.queue.next(t); got.Overlap != tt.sent {
				t.Fatalf("submitted with overlap %q, want %q", got.Overlap, tt.sent)
			}
			wantArmed(t, h, time.Minute)
			h.queue.setStatus("job1", lambda.StatusRunning)
			for range 2 { // the first job still runs
				h.clock.Advance(time.Minute)
				h.queue.next(t)
				wantArmed(t, h, time.Minute)
			}
			wantJobs(t, h, tt.wantJobs)
			got, _ := h.store.FindSchedule(t.Context(), "s1")
			if !got.NextRunAt.Equal(t0.Add(4*time.Minute)) || !got.LastRunAt.Equal(tt.wantLast) {
				t.Fatalf("next %s, last %s; want %s, %s", got.NextRunAt, got.LastRunAt, t0.Add(4*time.Minute), tt.wantLast)
			}
			skips := strings.Count(h.logs.String(), `msg="cron: tick skipped: an earlier tick has not finished" schedule=s1 function=slow overlap=`+tt.sent)
			if want := 3 - tt.wantJobs; skips != want {
				t.Fatalf("%d skips logged, want %d:\n%s", skips, want, h.logs)
			}

			// Once the jobs end, the next tick is queued again.
			h.finish()
			h.clock.Advance(time.Minute)
			h.queue.next(t)
			wantArmed(t, h, time.Minute)
			wantJobs(t, h, tt.wantJobs+1)
		})
	}
}

// TestSchedulerSubmitFailures: a tick the queue could not take for now is
// retried under the same key; one it refuses for good is dropped and the
// schedule goes on.
func TestSchedulerSubmitFailures(t *testing.T) {
	for _, tt := range []struct {
		name  string
		err   error
		retry bool
		log   string
	}{
		{"store down", errors.New("sqlite: database is locked"), true,
			`level=ERROR msg="cron: cannot queue the tick, retrying" schedule=s1 function=greet retry_in=5s error="sqlite: database is locked"`},
		{"docker down", lambda.Errorf(lambda.EUNAVAILABLE, "docker is down"), true, `msg="cron: cannot queue the tick, retrying"`},
		{"queue full", lambda.Errorf(lambda.ETHROTTLED, "function \"greet\" has 100000 queued invocations"), true,
			`level=WARN msg="cron: cannot queue the tick, retrying"`},
		{"function deleted", lambda.Errorf(lambda.ENOTFOUND, "function \"greet\" does not exist"), false,
			`level=WARN msg="cron: tick dropped: the function does not exist or has no active version" schedule=s1 function=greet`},
		{"refused", lambda.Errorf(lambda.EINVALID, "the payload is not valid JSON"), false,
			`level=ERROR msg="cron: tick dropped: the queue refused it" schedule=s1 function=greet error="the payload is not valid JSON"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, t0, sched("s1", "greet", "0 * * * *", t0.Add(time.Hour)))
			h.queue.failNext(tt.err)
			h.open(t)
			wantArmed(t, h, time.Hour)
			h.clock.Advance(time.Hour)
			first := h.queue.next(t)
			if !tt.retry {
				// Dropped: recorded as not run, the next tick comes as planned.
				wantArmed(t, h, time.Hour)
				wantMarks(t, h, mark{"s1", t0.Add(time.Hour), t0.Add(2 * time.Hour)})
				wantJobs(t, h, 0)
				h.clock.Advance(time.Hour)
				if got := h.queue.next(t); got.IdempotencyKey != key("s1", t0.Add(2*time.Hour)) {
					t.Errorf("next tick keyed %q", got.IdempotencyKey)
				}
				wantArmed(t, h, time.Hour)
				wantJobs(t, h, 1)
			} else {
				wantArmed(t, h, h.s.RetryDelay)
				wantMarks(t, h) // not recorded: it is still due
				h.clock.Advance(h.s.RetryDelay)
				if got := h.queue.next(t); got.IdempotencyKey != first.IdempotencyKey {
					t.Errorf("retried as %q, want the same tick %q", got.IdempotencyKey, first.IdempotencyKey)
				}
				wantArmed(t, h, time.Hour-h.s.RetryDelay)
				wantMarks(t, h, mark{"s1", t0.Add(time.Hour + h.s.RetryDelay), t0.Add(2 * time.Hour)})
				wantJobs(t, h, 1)
			}
			if !strings.Contains(h.logs.String(), tt.log) {
				t.Errorf("logs lack %s:\n%s", tt.log, h.logs)
			}
		})
	}
}

// TestSchedulerRecordFailure: a tick queued but not recorded is retried and
// finds its job queued already, within one run of the scheduler or across
// a restart (a crash between the two writes).
func TestSchedulerRecordFailure(t *testing.T) {
	for _, restart := range []bool{false, true} {
		name := map[bool]string{false: "retry", true: "restart"}[restart]
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, t0, sched("s1", "greet", "0 * * * *", t0.Add(time.Hour)))
			h.open(t)
			wantArmed(t, h, time.Hour)
			h.store.setErrors(nil, errors.New("disk full"))
			h.clock.Advance(time.Hour)
			first := h.queue.next(t)
			wantArmed(t, h, h.s.RetryDelay)
			h.store.setErrors(nil, nil)
			if restart {
				h.close(t)
				h.s = h.newScheduler()
				h.open(t)
			} else {
				h.clock.Advance(h.s.RetryDelay)
			}
			if got := h.queue.next(t); got.IdempotencyKey != first.IdempotencyKey {
				t.Errorf("submitted again as %q, want the same tick %q", got.IdempotencyKey, first.IdempotencyKey)
			}
			h.clock.waitArmed(t)
			wantJobs(t, h, 1)
			ranAt := h.clock.Now()
			wantMarks(t, h, mark{"s1", ranAt, t0.Add(2 * time.Hour)})
			logs := h.logs.String()
			if !strings.Contains(logs, `msg="cron: cannot record the tick, retrying"`) ||
				!strings.Contains(logs, `msg="cron: tick was already queued before a restart" schedule=s1 function=greet job=job1`) {
				t.Errorf("logs:\n%s", logs)
			}
		})
	}
}

func TestSchedulerSubmitTimeout(t *testing.T) {
	h := newHarness(t, t0, sched("s1", "greet", "0 * * * *", t0.Add(time.Hour)))
	h.queue.block = make(chan struct{}) // a store that hangs
	h.s.SubmitTimeout = 10 * time.Millisecond
	h.open(t)
	wantArmed(t, h, time.Hour)
	h.clock.Advance(time.Hour)
	h.queue.next(t)
	wantArmed(t, h, h.s.RetryDelay)
	if !strings.Contains(h.logs.String(), `error="context deadline exceeded"`) {
		t.Fatalf("logs:\n%s", h.logs)
	}
	close(h.queue.block)
	h.clock.Advance(h.s.RetryDelay)
	h.queue.next(t)
	wantArmed(t, h, time.Hour-h.s.RetryDelay)
	wantJobs(t, h, 1)
}

func TestSchedulerNotify(t *testing.T) {
	h := newHarness(t, t0)
	h.open(t)
	wantArmed(t, h, 24*time.Hour) // nothing scheduled

	if err := h.store.CreateSchedule(t.Context(), sched("s1", "greet", "*/5 * * * *", t0.Add(5*time.Minute))); err != nil {
		t.Fatal(err)
	}
	h.s.Notify()
	wantArmed(t, h, 5*time.Minute)
	h.clock.Advance(5 * time.Minute)
	h.queue.next(t)
	wantArmed(t, h, 5*time.Minute)

	if err := h.store.DeleteSchedule(t.Context(), "s1"); err != nil {
		t.Fatal(err)
	}
	h.s.Notify()
	wantArmed(t, h, 24*time.Hour)
	h.clock.Advance(24 * time.Hour)
	wantArmed(t, h, 24*time.Hour)
	h.queue.none(t)
}

// TestSchedulerCloseInterruptsSubmission: Close cancels a submission in
// progress and leaves its tick due; it gives up waiting when its context
// ends.
func TestSchedulerCloseInterruptsSubmission(t *testing.T) {
	h := newHarness(t, t0, sched("s1", "slow", "0 * * * *", t0))
	h.queue.block = make(chan struct{})
	h.open(t)
	h.queue.next(t)
	h.close(t)
	if err := h.queue.ctxErrs[0]; err == nil {
		t.Fatal("the submission's context was not cancelled by Close")
	}
	wantMarks(t, h)
	if logs := h.logs.String(); strings.Contains(logs, "level=ERROR") {
		t.Errorf("an interrupted submission was logged as a failure:\n%s", logs)
	}

	// A queue that ignores cancellation: Close is bounded by its context.
	h = newHarness(t, t0, sched("s1", "slow", "0 * * * *", t0))
	h.queue.block, h.queue.ignoreCtx = make(chan struct{}), true
	if err := h.s.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.queue.next(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := h.s.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with a submission hanging = %v, want a deadline error", err)
	}
	close(h.queue.block)
	h.close(t)
	wantMarks(t, h)
}

func TestSchedulerDropsDeletedSchedule(t *testing.T) {
	h := newHarness(t, t0, sched("s1", "gone", "0 * * * *", t0.Add(time.Hour)))
	h.open(t)
	wantArmed(t, h, time.Hour)
	// The function was deleted, its schedules with it, and nobody told us.
	if err := h.store.DeleteSchedule(t.Context(), "s1"); err != nil {
		t.Fatal(err)
	}
	h.queue.failNext(lambda.Errorf(lambda.ENOTFOUND, "function \"gone\" does not exist"))
	h.clock.Advance(time.Hour)
	h.queue.next(t)
	wantArmed(t, h, 24*time.Hour)
	h.clock.Advance(24 * time.Hour)
	wantArmed(t, h, 24*time.Hour)
	h.queue.none(t)
}

func TestSchedulerLoadErrors(t *testing.T) {
	h := newHarness(t, t0, sched("s1", "greet", "0 * * * *", t0.Add(time.Hour)))
	h.store.setErrors(errors.New("disk on fire"), nil)
	if err := h.s.Open(t.Context()); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Open = %v, want the store's error", err)
	}

	h.store.setErrors(nil, nil)
	h.s = h.newScheduler()
	h.open(t)
	wantArmed(t, h, time.Hour)
	// A reload that fails keeps retrying.
	h.store.setErrors(errors.New("disk on fire"), nil)
	h.s.Notify()
	wantArmed(t, h, h.s.RetryDelay)
	h.store.setErrors(nil, nil)
	h.clock.Advance(h.s.RetryDelay)
	wantArmed(t, h, time.Hour-h.s.RetryDelay)
}

func TestSchedulerSchedulesWithoutNextRun(t *testing.T) {
	good := sched("s1", "greet", "*/5 * * * *", time.Time{}) // created at t0
	bad := sched("s2", "greet", "61 * * * *", time.Time{})
	h := newHarness(t, t0.Add(2*time.Minute), good, bad)
	h.open(t)
	wantArmed(t, h, 3*time.Minute)
	if !strings.Contains(h.logs.String(), "minute 61 is out of range") {
		t.Fatalf("the bad schedule was not logged:\n%s", h.logs)
	}
	h.clock.Advance(3 * time.Minute)
	if got := h.queue.next(t); got.IdempotencyKey != key("s1", t0.Add(5*time.Minute)) {
		t.Fatalf("first tick keyed %q, want its time counted from creation", got.IdempotencyKey)
	}
}

func TestSchedulerMaxSleep(t *testing.T) {
	h := newHarness(t, t0, sched("s1", "greet", "@yearly", t0.Add(24*time.Hour)))
	h.s.MaxSleep = time.Minute
	h.open(t)
	wantArmed(t, h, time.Minute)
	h.clock.Advance(time.Minute)
	wantArmed(t, h, time.Minute)
	h.queue.none(t)
}

func TestSchedulerOpenClose(t *testing.T) {
	h := newHarness(t, t0)
	if err := h.s.Close(t.Context()); err != nil {
		t.Fatalf("Close before Open = %v", err)
	}
	h.open(t)
	if err := h.s.Open(t.Context()); err == nil {
		t.Fatal("a second Open succeeded")
	}
	if err := (&Scheduler{Store: h.store, Queue: h.queue}).Open(t.Context()); err == nil {
		t.Fatal("Open of a scheduler not made by NewScheduler succeeded")
	}
	if err := NewScheduler(h.store, nil).Open(t.Context()); err == nil || !strings.Contains(err.Error(), "needs a Store and a Queue") {
		t.Fatalf("Open without a queue = %v", err)
	}
}
