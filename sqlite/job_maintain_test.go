package sqlite

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestRequeueRunning(t *testing.T) {
	ctx := context.Background()
	_, _, s := jobFixture(t)
	async := mustCreate(t, s, testJob("greet", 0))
	async.Attempts = 2
	setStatus(t, s, async, lambda.StatusRunning)
	queued := mustCreate(t, s, testJob("greet", time.Second))
	sync := testJob("greet", 2*time.Second)
	sync.Sync, sync.IdempotencyKey = true, "k"
	sync = mustCreate(t, s, sync)
	done := mustCreate(t, s, testJob("other", 3*time.Second))
	setStatus(t, s, done, lambda.StatusSucceeded)

	now := t0.Add(time.Hour)
	n, err := s.RequeueRunning(ctx, now)
	if err != nil || n != 1 {
		t.Fatalf("RequeueRunning = %d, %v; want 1", n, err)
	}
	// Left running in its row (by a server before migration 0009): the
	// attempt it was in counts.
	if got := mustFind(t, s, async.ID); got.Status != lambda.StatusQueued || got.Attempts != 3 || !got.NextRunAt.Equal(async.NextRunAt) ||
		len(got.History) != 1 || got.History[0].Error != lambda.InterruptedAttemptError {
		t.Errorf("requeued job: status %s attempts %d next %v history %+v; want queued, its interrupted attempt counted (3), its NextRunAt kept", got.Status, got.Attempts, got.NextRunAt, got.History)
	}
	got := mustFind(t, s, sync.ID)
	if got.Status != lambda.StatusFailed || got.FinishedAt == nil || !got.FinishedAt.Equal(now) || got.ErrorType != lambda.EUNAVAILABLE || got.ErrorMessage == "" {
		t.Errorf("sync job left running: %+v; want failed now, unavailable, with a message", got)
	}
	for _, j := range []*lambda.Job{queued, done} {
		if got := mustFind(t, s, j.ID); got.Status != j.Status {
			t.Errorf("job %s moved from %s to %s", j.ID, j.Status, got.Status)
		}
	}
	// The sync call never ran the function: its key is free again.
	again := testJob("greet", 3*time.Second)
	again.Sync, again.IdempotencyKey = true, "k"
	if _, created, err := s.CreateJob(ctx, lambda.NewJob{Job: again}); err != nil || !created {
		t.Errorf("the key of a sync call cut by a restart: created %v, %v; want a new job", created, err)
	}
	if n, err := s.RequeueRunning(ctx, now); err != nil || n != 0 {
		t.Errorf("RequeueRunning again = %d, %v; want 0", n, err)
	}
}

func TestRedriveJobs(t *testing.T) {
	ctx := context.Background()
	now := t0.Add(time.Hour)
	tests := []struct {
		name     string
		function string
		ids      []string // of the jobs below: d1 d2 (dead), q (queued), od (other's, dead)
		want     []string
		code     string
		msg      string
	}{
		{"named", "greet", []string{"d2"}, []string{"d2"}, "", ""},
		{"named twice", "greet", []string{"d2", "d1", "d2"}, []string{"d1", "d2"}, "", ""},
		{"every dead one", "greet", nil, []string{"d1", "d2"}, "", ""},
		{"none dead", "idle", nil, []string{}, "", ""},
		{"not dead", "greet", []string{"d1", "q"}, nil, lambda.ECONFLICT, `invocation "q" is queued, not dead: only dead invocations can be redriven`},
		{"unknown", "greet", []string{"d1", "nope"}, nil, lambda.ENOTFOUND, `invocation "nope" of function "greet" not found`},
		{"another function's", "greet", []string{"od"}, nil, lambda.ENOTFOUND, `invocation "od" of function "greet" not found`},
		{"unknown function", "nope", nil, nil, lambda.ENOTFOUND, `function "nope" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, fs, s := jobFixture(t)
			mustPublish(t, fs, testVersion("idle", 1))
			started, finished := t0.Add(time.Second), t0.Add(2*time.Second)
			before := map[string]*lambda.Job{}
			for i, id := range []string{"d1", "d2", "q", "od"} {
				fn := "greet"
				if id == "od" {
					fn = "other"
				}
				j := testJob(fn, time.Duration(i)*time.Second)
				j.ID = id
				j = mustCreate(t, s, j)
				if id != "q" {
					j.Status, j.Attempts, j.StartedAt, j.FinishedAt = lambda.StatusDead, 3, &started, &finished
					j.Version, j.HTTPStatus, j.Response, j.ResponseTruncated = 2, 500, []byte("boom"), true
					j.FunctionError, j.ErrorType, j.ErrorMessage = "Unhandled", lambda.EFUNCTION, "it failed"
					j.Duration = lambda.Duration(time.Second)
					j.History = []lambda.JobAttempt{{Attempt: 1, Counted: true, Start: started, Status: lambda.StatusFailed}}
					if err := s.UpdateJob(ctx, j); err != nil {
						t.Fatal(err)
					}
				}
				before[id] = mustFind(t, s, id)
			}

			got, err := s.RedriveJobs(ctx, tt.function, tt.ids, now, 0)
			checkErr(t, err, tt.code, tt.msg)
			if err != nil {
				// All or nothing: every job is as it was.
				for id, j := range before {
					sameJob(t, mustFind(t, s, id), j)
				}
				return
			}
			ids := []string{}
			for _, j := range got {
				ids = append(ids, j.ID)
			}
			if !reflect.DeepEqual(ids, tt.want) {
				t.Fatalf("redriven %v, want %v", ids, tt.want)
			}
			for _, id := range tt.want {
				want := *before[id]
				want.Status, want.Attempts, want.CreatedAt, want.NextRunAt = lambda.StatusQueued, 0, now, now
				want.StartedAt, want.FinishedAt, want.Duration = nil, nil, 0
				want.Version, want.HTTPStatus, want.Response, want.ResponseTruncated = 0, 0, nil, false
				want.FunctionError, want.ErrorType, want.ErrorMessage = "", "", ""
				sameJob(t, mustFind(t, s, id), &want)
			}
			// What was not redriven did not move.
			for id, j := range before {
				if !contains(tt.want, id) {
					sameJob(t, mustFind(t, s, id), j)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestPruneJobs(t *testing.T) {
	ctx := context.Background()
	_, _, s := jobFixture(t)
	// More ended jobs than a chunk, all finished in the first seconds
	// after t0; jobs still pending, however old, and recent ended ones stay.
	old := insertJobs(t, s, "greet", 2*pruneChunk+7, lambda.StatusSucceeded)
	oldDead := insertJobs(t, s, "other", 3, lambda.StatusDead)
	pending := insertJobs(t, s, "greet", 4, lambda.StatusQueued)
	recent := testJob("greet", time.Hour)
	recent = mustCreate(t, s, recent)
	setStatus(t, s, recent, lambda.StatusFailed)
	fin := t0.Add(2 * time.Hour)
	recent.FinishedAt = &fin
	if err := s.UpdateJob(ctx, recent); err != nil {
		t.Fatal(err)
	}
	// Keys: one of a pruned job, one live, one expired of a kept job.
	keyedOld := testJob("greet", 0)
	keyedOld.IdempotencyKey = "old"
	keyedOld = mustCreate(t, s, keyedOld)
	setStatus(t, s, keyedOld, lambda.StatusSucceeded) // finished at the clock's now, ~t0
	live := testJob("other", 23*time.Hour)
	live.IdempotencyKey = "live"
	mustCreate(t, s, live)
	expired := testJob("other", 0)
	expired.IdempotencyKey = "expired"
	expired = mustCreate(t, s, expired)

	// Ended jobs of the journal in their rows first: what is counted
	// below is the prune's chunks.
	if _, err := s.db.flushJournal(ctx, false); err != nil {
		t.Fatal(err)
	}
	batches := s.db.batcher.batches.Load()
	n, err := s.PruneJobs(ctx, t0.Add(time.Hour), t0.Add(lambda.IdempotencyWindow+time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if want := len(old) + len(oldDead) + 1; n != want {
		t.Errorf("PruneJobs = %d, want %d", n, want)
	}
	for _, id := range append(append([]string{}, old[:3]...), oldDead[0], keyedOld.ID) {
		if _, err := s.FindJob(ctx, id); lambda.ErrorCode(err) != lambda.ENOTFOUND {
			t.Errorf("old ended job %s: %v, want it pruned", id, err)
		}
	}
	for _, id := range append(append([]string{}, pending...), recent.ID, expired.ID) {
		mustFind(t, s, id)
	}
	var keys []string
	rows, err := s.db.read.Query(`SELECT key FROM idempotency_keys ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		rows.Scan(&k)
		keys = append(keys, k)
	}
	if !reflect.DeepEqual(keys, []string{"live"}) {
		t.Errorf("idempotency keys left: %v, want [live]", keys)
	}
	// Three chunks of jobs (the last one short) and one of keys.
	if b := s.db.batcher.batches.Load() - batches; b != 4 {
		t.Errorf("the prune of %d jobs took %d transactions, want 4 (chunks of %d)", n, b, pruneChunk)
	}
}

func TestPruneJobsStopsWithCtx(t *testing.T) {
	_, _, s := jobFixture(t)
	insertJobs(t, s, "greet", 3*pruneChunk, lambda.StatusSucceeded)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n, err := s.PruneJobs(ctx, t0.Add(time.Hour), t0)
	if err == nil || n != 0 {
		t.Fatalf("PruneJobs with an ended ctx = %d, %v; want 0 and an error", n, err)
	}
}
