package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/async"
	"github.com/lambdahq/lambda/cron"
	"github.com/lambdahq/lambda/sqlite"
)

// marksFailing is a schedule store whose MarkScheduleRun fails while fail
// is set: the server dies between queuing a tick and recording it.
type marksFailing struct {
	lambda.ScheduleStore
	fail atomic.Bool
}

func (m *marksFailing) MarkScheduleRun(ctx context.Context, id string, ranAt, next time.Time) error {
	if m.fail.Load() {
		return errors.New("disk full")
	}
	return m.ScheduleStore.MarkScheduleRun(ctx, id, ranAt, next)
}

// TestCronTickQueuedOnceAcrossACrash wires the scheduler to the real queue
// and store, as lambda server does: a tick queued but not recorded before
// the scheduler stops is submitted again at the next start and names the
// job already queued rather than queuing a second one. Overlap allow, or
// the overlap check would hide a second submission.
func TestCronTickQueuedOnceAcrossACrash(t *testing.T) {
	ctx := t.Context()
	db := sqlite.NewDB(filepath.Join(t.TempDir(), "lambda.db"))
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	functions, jobs := sqlite.NewFunctionStore(db), sqlite.NewJobStore(db)
	if err := functions.PublishVersion(ctx, &lambda.Version{Function: "greet", Number: 1}); err != nil {
		t.Fatal(err)
	}
	schedules := &marksFailing{ScheduleStore: sqlite.NewScheduleStore(db)}
	now := time.Now().UTC().Truncate(time.Second)
	sch := &lambda.Schedule{ID: "sch_crash", Function: "greet", Cron: "0 0 1 1 *", Timezone: "UTC", Overlap: lambda.OverlapAllow,
		NextRunAt: now.Add(-time.Minute), CreatedAt: now.Add(-time.Hour)}
	if err := schedules.CreateSchedule(ctx, sch); err != nil {
		t.Fatal(err)
	}
	// Not opened: its jobs stay queued, which is all a tick needs.
	queue := async.New(jobs, functions, nil)

	listed := func() []*lambda.Job {
		t.Helper()
		l, err := jobs.ListJobs(ctx, lambda.JobFilter{Function: "greet"})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	run := func(until func() bool) {
		t.Helper()
		s := cron.NewScheduler(schedules, queue)
		s.Logger = slog.New(slog.DiscardHandler)
		if err := s.Open(ctx); err != nil {
			t.Fatal(err)
		}
		defer func() {
			closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := s.Close(closeCtx); err != nil {
				t.Error(err)
			}
		}()
		for deadline := time.Now().Add(5 * time.Second); !until(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the scheduler never got there")
			}
		}
	}

	schedules.fail.Store(true)
	run(func() bool { return len(listed()) > 0 })
	schedules.fail.Store(false)
	run(func() bool {
		got, err := schedules.FindSchedule(ctx, sch.ID)
		return err == nil && got.LastRunAt != nil
	})

	l := listed()
	if len(l) != 1 {
		t.Fatalf("%d jobs for one tick, want 1: %+v", len(l), l)
	}
	j := l[0]
	if j.Trigger != lambda.TriggerCron || j.Schedule != sch.ID || j.Overlap != lambda.OverlapAllow || j.Status != lambda.StatusQueued ||
		!strings.HasPrefix(j.IdempotencyKey, "cron:"+sch.ID+"@") {
		t.Errorf("job = %+v", j)
	}
	got, _ := schedules.FindSchedule(ctx, sch.ID)
	if !got.NextRunAt.After(now) {
		t.Errorf("next run at %s, want the next tick after now", got.NextRunAt)
	}
}
