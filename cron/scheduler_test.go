package cron

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

var t0 = time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)

type harness struct {
	store *memStore
	inv   *fakeInvoker
	clock *fakeClock
	logs  *syncBuffer
	s     *Scheduler
}

// newHarness builds a scheduler that never sleeps more than a day, so the
// durations it arms are exactly the time to the next schedule.
func newHarness(t *testing.T, now time.Time, list ...*lambda.Schedule) *harness {
	t.Helper()
	h := &harness{store: newMemStore(list...), inv: newFakeInvoker(), clock: newFakeClock(now), logs: &syncBuffer{}}
	h.s = h.newScheduler()
	return h
}

func (h *harness) newScheduler() *Scheduler {
	s := NewScheduler(h.store, h.inv)
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
		t.Fatalf("runs recorded = %v, want %v", got, want)
	}
}

func TestSchedulerFiresOnTime(t *testing.T) {
	greet := sched("s1", "greet", "0 * * * *", t0.Add(time.Hour))
	greet.Data = json.RawMessage(`{"name":"cron"}`)
	h := newHarness(t, t0.Add(30*time.Second), greet, sched("s2", "other", "*/30 * * * *", t0.Add(30*time.Minute)))
	h.open(t)

	wantArmed(t, h, 29*time.Minute+30*time.Second)
	wantMarks(t, h)
	h.clock.Advance(29*time.Minute + 30*time.Second)
	if c := h.inv.next(t); c != (call{"other", "{}"}) {
		t.Fatalf("call = %+v, want other with {}", c)
	}
	wantArmed(t, h, 30*time.Minute)
	wantMarks(t, h, mark{"s2", t0.Add(30 * time.Minute), t0.Add(time.Hour)})

	waitIdle(t, h.s) // or the next tick of s2 would be skipped
	h.clock.Advance(30 * time.Minute)
	calls := []call{h.inv.next(t), h.inv.next(t)}
	slices.SortFunc(calls, func(a, b call) int { return strings.Compare(a.function, b.function) })
	if want := []call{{"greet", `{"name":"cron"}`}, {"other", "{}"}}; !slices.Equal(calls, want) {
		t.Fatalf("calls = %+v, want %+v", calls, want)
	}
	wantArmed(t, h, 30*time.Minute)
	wantMarks(t, h,
		mark{"s2", t0.Add(30 * time.Minute), t0.Add(time.Hour)},
		mark{"s1", t0.Add(time.Hour), t0.Add(2 * time.Hour)},
		mark{"s2", t0.Add(time.Hour), t0.Add(90 * time.Minute)})
}

func TestSchedulerMissedTicksRunOnceAfterRestart(t *testing.T) {
	h := newHarness(t, t0, sched("s1", "greet", "0 * * * *", t0.Add(time.Hour)))
	h.open(t)
	wantArmed(t, h, time.Hour)
	h.clock.Advance(time.Hour)
	h.inv.next(t)
	wantArmed(t, h, time.Hour)
	h.close(t)

	// Down for five hours and a half: five ticks missed.
	h.clock.Advance(5*time.Hour + 30*time.Minute)
	h.s = h.newScheduler()
	h.open(t)
	h.inv.next(t)
	wantArmed(t, h, 30*time.Minute)
	wantMarks(t, h,
		mark{"s1", t0.Add(time.Hour), t0.Add(2 * time.Hour)},
		mark{"s1", t0.Add(6*time.Hour + 30*time.Minute), t0.Add(7 * time.Hour)})
	h.close(t)
	if n, _ := h.inv.count(); n != 2 {
		t.Fatalf("%d invocations, want 2", n)
	}
}

func TestSchedulerOverlap(t *testing.T) {
	for _, tt := range []struct {
		overlap   string
		wantCalls int
		wantLast  time.Time // LastRunAt after the second tick
	}{
		{lambda.OverlapSkip, 1, t0.Add(time.Minute)},
		{"", 1, t0.Add(time.Minute)}, // skip is the default
		{lambda.OverlapAllow, 2, t0.Add(2 * time.Minute)},
	} {
		t.Run(tt.overlap, func(t *testing.T) {
			sc := sched("s1", "slow", "* * * * *", t0.Add(time.Minute))
			sc.Overlap = tt.overlap
			h := newHarness(t, t0, sc)
			h.inv.block = make(chan struct{})
			h.open(t)

			wantArmed(t, h, time.Minute)
			h.clock.Advance(time.Minute)
			h.inv.next(t)
			wantArmed(t, h, time.Minute)
			h.clock.Advance(time.Minute) // the first run is still blocked
			if tt.wantCalls == 2 {
				h.inv.next(t)
			}
			wantArmed(t, h, time.Minute)

			n, peak := h.inv.count()
			if n != tt.wantCalls || peak != tt.wantCalls {
				t.Fatalf("%d calls, %d at once; want %d", n, peak, tt.wantCalls)
			}
			got, _ := h.store.FindSchedule(t.Context(), "s1")
			if !got.NextRunAt.Equal(t0.Add(3*time.Minute)) || !got.LastRunAt.Equal(tt.wantLast) {
				t.Fatalf("next %s, last %s; want %s, %s", got.NextRunAt, got.LastRunAt, t0.Add(3*time.Minute), tt.wantLast)
			}
			if skipped := strings.Contains(h.logs.String(), "tick skipped"); skipped != (tt.wantCalls == 1) {
				t.Fatalf("skip logged = %v, want %v:\n%s", skipped, !skipped, h.logs)
			}

			// Once the runs finish, the next tick runs again.
			close(h.inv.block)
			waitIdle(t, h.s)
			h.clock.Advance(time.Minute)
			h.inv.next(t)
		})
	}
}

// waitIdle waits for all runs to finish: nothing signals the moment the
// scheduler books a run as done, so it polls briefly.
func waitIdle(t *testing.T, s *Scheduler) {
	t.Helper()
	busy := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.inflight) > 0
	}
	for deadline := time.Now().Add(5 * time.Second); busy(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("runs never finished")
		}
	}
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
	h.inv.next(t)
	wantArmed(t, h, 5*time.Minute)

	if err := h.store.DeleteSchedule(t.Context(), "s1"); err != nil {
		t.Fatal(err)
	}
	h.s.Notify()
	wantArmed(t, h, 24*time.Hour)
	h.clock.Advance(24 * time.Hour)
	wantArmed(t, h, 24*time.Hour)
	if n, _ := h.inv.count(); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
}

func TestSchedulerCloseWaitsForRuns(t *testing.T) {
	h := newHarness(t, t0, sched("s1", "slow", "0 * * * *", t0))
	h.inv.block, h.inv.ignoreCtx = make(chan struct{}), true
	if err := h.s.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.inv.next(t)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := h.s.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with a run in flight = %v, want a deadline error", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- h.s.Close(context.Background()) }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v while a run was in flight", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(h.inv.block)
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close never returned")
	}
	if h.inv.errs[0] == nil {
		t.Fatal("the run's context was not cancelled by Close")
	}
}

func TestSchedulerCloseCancelsRuns(t *testing.T) {
	h := newHarness(t, t0, sched("s1", "slow", "0 * * * *", t0))
	h.inv.block = make(chan struct{})
	h.inv.err = context.Canceled
	h.open(t)
	h.inv.next(t)
	h.close(t)
	logs := h.logs.String()
	if !strings.Contains(logs, "interrupted by shutdown") || strings.Contains(logs, "invocation failed") {
		t.Fatalf("logs:\n%s", logs)
	}
}

func TestSchedulerLogsInvocationErrors(t *testing.T) {
	h := newHarness(t, t0, sched("s1", "greet", "0 * * * *", t0.Add(time.Hour)))
	h.inv.err = errors.New("boom")
	h.open(t)
	for range 2 {
		wantArmed(t, h, time.Hour)
		h.clock.Advance(time.Hour)
		h.inv.next(t)
		waitIdle(t, h.s)
	}
	if got := strings.Count(h.logs.String(), `msg="cron: scheduled invocation failed" schedule=s1 function=greet error=boom`); got != 2 {
		t.Fatalf("%d failures logged, want 2:\n%s", got, h.logs)
	}
}

func TestSchedulerDropsDeletedSchedule(t *testing.T) {
	h := newHarness(t, t0, sched("s1", "gone", "0 * * * *", t0.Add(time.Hour)))
	h.open(t)
	wantArmed(t, h, time.Hour)
	// The function was deleted, its schedules with it, and nobody told us.
	if err := h.store.DeleteSchedule(t.Context(), "s1"); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Hour)
	wantArmed(t, h, 24*time.Hour)
	if n, _ := h.inv.count(); n != 0 {
		t.Fatalf("%d calls, want 0", n)
	}
}

func TestSchedulerStoreErrors(t *testing.T) {
	h := newHarness(t, t0, sched("s1", "greet", "0 * * * *", t0.Add(time.Hour)))
	h.store.setErrors(errors.New("disk on fire"), nil)
	if err := h.s.Open(t.Context()); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Open = %v, want the store's error", err)
	}

	h.store.setErrors(nil, errors.New("disk full"))
	h.s = h.newScheduler()
	h.open(t)
	wantArmed(t, h, time.Hour)
	h.clock.Advance(time.Hour)
	// Not recorded, so not run: it is retried later rather than at once.
	wantArmed(t, h, h.s.RetryDelay)
	if n, _ := h.inv.count(); n != 0 {
		t.Fatalf("ran although the run could not be recorded")
	}
	h.store.setErrors(nil, nil)
	h.clock.Advance(h.s.RetryDelay)
	h.inv.next(t)
	wantArmed(t, h, time.Hour-h.s.RetryDelay)
	wantMarks(t, h, mark{"s1", t0.Add(time.Hour + h.s.RetryDelay), t0.Add(2 * time.Hour)})

	// A reload that fails keeps retrying.
	h.store.setErrors(errors.New("disk on fire"), nil)
	h.s.Notify()
	wantArmed(t, h, h.s.RetryDelay)
	h.store.setErrors(nil, nil)
	h.clock.Advance(h.s.RetryDelay)
	wantArmed(t, h, time.Hour-2*h.s.RetryDelay)
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
}

func TestSchedulerMaxSleep(t *testing.T) {
	h := newHarness(t, t0, sched("s1", "greet", "@yearly", t0.Add(24*time.Hour)))
	h.s.MaxSleep = time.Minute
	h.open(t)
	wantArmed(t, h, time.Minute)
	h.clock.Advance(time.Minute)
	wantArmed(t, h, time.Minute)
	if n, _ := h.inv.count(); n != 0 {
		t.Fatalf("%d calls, want 0", n)
	}
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
	if err := (&Scheduler{Store: h.store, Invoker: h.inv}).Open(t.Context()); err == nil {
		t.Fatal("Open of a scheduler not made by NewScheduler succeeded")
	}
}
