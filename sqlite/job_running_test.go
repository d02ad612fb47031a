package sqlite

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// rowStatus reads a job's status as its row holds it.
func rowStatus(t *testing.T, db *DB, id string) string {
	t.Helper()
	var status string
	if err := db.read.QueryRow(`SELECT status FROM jobs WHERE id = ?`, id).Scan(&status); err != nil {
		t.Fatal(err)
	}
	return status
}

// runRows counts the rows left claimed.
func runRows(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.read.QueryRow(`SELECT COUNT(*) FROM jobs WHERE claimed_at IS NOT NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func statusesOf(jobs []*lambda.Job) map[string]string {
	out := map[string]string{}
	for _, j := range jobs {
		out[j.ID] = j.Status
	}
	return out
}

// TestRunningInMemory: a claimed job keeps its row queued (the status
// change is saved) but for its claimed_at, yet every read and every
// check of the store sees it running, until its outcome is written.
func TestRunningInMemory(t *testing.T) {
	ctx := context.Background()
	db, _, s := jobFixture(t)
	withoutJournal(db) // the rows' own mechanics
	a := mustCreate(t, s, testJob("greet", 0))
	b := mustCreate(t, s, testJob("greet", time.Second))
	c := mustCreate(t, s, testJob("greet", 2*time.Second))
	now := t0.Add(time.Minute)
	claimed, err := s.ClaimJobs(ctx, "greet", now, 2)
	if err != nil || len(claimed) != 2 || claimed[0].ID != a.ID || claimed[1].ID != b.ID {
		t.Fatalf("ClaimJobs = %v, %v; want a and b", claimed, err)
	}
	for _, j := range claimed {
		if j.Status != lambda.StatusRunning || j.StartedAt == nil || !j.StartedAt.Equal(now) {
			t.Errorf("claimed job: %s started %v; want running, started now", j.Status, j.StartedAt)
		}
		if st := rowStatus(t, db, j.ID); st != lambda.StatusQueued {
			t.Errorf("the row of a claimed job says %s, want queued: the claim writes no status", st)
		}
	}
	if n := runRows(t, db); n != 2 {
		t.Errorf("%d rows claimed, want 2", n)
	}

	if got := mustFind(t, s, a.ID); got.Status != lambda.StatusRunning || got.StartedAt == nil || !got.StartedAt.Equal(now) {
		t.Errorf("FindJob of a claimed job: %s started %v", got.Status, got.StartedAt)
	}
	all, err := s.ListJobs(ctx, lambda.JobFilter{Function: "greet"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{a.ID: lambda.StatusRunning, b.ID: lambda.StatusRunning, c.ID: lambda.StatusQueued}
	if got := statusesOf(all); !reflect.DeepEqual(got, want) {
		t.Errorf("ListJobs: %v, want %v", got, want)
	}
	for status, ids := range map[string][]string{lambda.StatusRunning: {b.ID, a.ID}, lambda.StatusQueued: {c.ID}, lambda.StatusRetrying: nil} {
		list, err := s.ListJobs(ctx, lambda.JobFilter{Function: "greet", Status: status})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, j := range list {
			got = append(got, j.ID)
		}
		if !slices.Equal(got, ids) {
			t.Errorf("ListJobs --status %s: %v, want %v (newest first)", status, got, ids)
		}
	}
	counts, err := s.CountJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := counts["greet"], map[string]int{lambda.StatusRunning: 2, lambda.StatusQueued: 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("CountJobs: %v, want %v", got, want)
	}
	due, err := s.DueJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := due["greet"]; !got.Equal(c.NextRunAt) {
		t.Errorf("DueJobs: greet due at %v, want the first job not running (%v)", got, c.NextRunAt)
	}

	// The next claim passes the running jobs over.
	more, err := s.ClaimJobs(ctx, "greet", now, 5)
	if err != nil || len(more) != 1 || more[0].ID != c.ID {
		t.Fatalf("second ClaimJobs = %v, %v; want c alone", more, err)
	}
	if due, err := s.DueJobs(ctx); err != nil || len(due) != 0 {
		t.Errorf("DueJobs with every job running = %v, %v; want none", due, err)
	}
	// Running jobs leave room under the queue's limit, and a job may start
	// at once: nothing waits.
	n := lambda.NewJob{Job: testJob("greet", 3*time.Second), MaxQueued: 1, Start: true}
	d, created, err := s.CreateJob(ctx, n)
	if err != nil || !created || d.Status != lambda.StatusRunning {
		t.Fatalf("CreateJob with Start and every other job running = %v, %v; want created running", d, err)
	}
	if st := rowStatus(t, db, d.ID); st != lambda.StatusQueued {
		t.Errorf("the row of a job created running says %s, want queued", st)
	}
	e, _, err := s.CreateJob(ctx, lambda.NewJob{Job: testJob("greet", 4*time.Second), MaxQueued: 1})
	if err != nil || e.Status != lambda.StatusQueued {
		t.Fatalf("CreateJob under the limit = %v, %v; want queued", e, err)
	}
	// Now one waits: no job starts ahead of it, and the limit is reached.
	if _, _, err := s.CreateJob(ctx, lambda.NewJob{Job: testJob("greet", 5*time.Second), MaxQueued: 1, Start: true}); lambda.ErrorCode(err) != lambda.ETHROTTLED {
		t.Errorf("CreateJob past the limit: %v, want throttled", err)
	}
	if f, _, err := s.CreateJob(ctx, lambda.NewJob{Job: testJob("greet", 5*time.Second), MaxQueued: 5, Start: true}); err != nil || f.Status != lambda.StatusQueued {
		t.Errorf("CreateJob with Start behind a waiting job = %v, %v; want queued", f, err)
	}

	// An outcome is the one status change, and the claim goes with it.
	end := now.Add(time.Second)
	a.Status, a.Attempts, a.FinishedAt, a.StartedAt = lambda.StatusSucceeded, 1, &end, &now
	if err := s.UpdateJob(ctx, a); err != nil {
		t.Fatal(err)
	}
	b.Status, b.Attempts, b.NextRunAt = lambda.StatusRetrying, 1, end.Add(time.Minute)
	if err := s.UpdateJob(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got := mustFind(t, s, a.ID); got.Status != lambda.StatusSucceeded {
		t.Errorf("after its outcome: %s", got.Status)
	}
	if got := mustFind(t, s, b.ID); got.Status != lambda.StatusRetrying {
		t.Errorf("after a failed attempt: %s, want retrying", got.Status)
	}
	if n := runRows(t, db); n != 2 {
		t.Errorf("%d rows claimed after two outcomes, want 2 (c's and d's)", n)
	}
	counts, err = s.CountJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts := map[string]int{lambda.StatusRunning: 2, lambda.StatusQueued: 2, lambda.StatusRetrying: 1, lambda.StatusSucceeded: 1}
	if got := counts["greet"]; !reflect.DeepEqual(got, wantCounts) {
		t.Errorf("CountJobs after two outcomes: %v, want %v", got, wantCounts)
	}
}

// TestRunningUpdateKeepsRunning: a write of a job's fields while it runs
// (status running) keeps it running and its row waiting.
func TestRunningUpdateKeepsRunning(t *testing.T) {
	ctx := context.Background()
	db, _, s := jobFixture(t)
	withoutJournal(db) // the rows' own mechanics
	mustCreate(t, s, testJob("greet", 0))
	claimed, err := s.ClaimJobs(ctx, "greet", t0, 1)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimJobs = %v, %v", claimed, err)
	}
	j := claimed[0]
	j.Attempts = 1
	if err := s.UpdateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if got := mustFind(t, s, j.ID); got.Status != lambda.StatusRunning || got.Attempts != 1 {
		t.Errorf("after a write of a running job: %s, %d attempts", got.Status, got.Attempts)
	}
	if st := rowStatus(t, db, j.ID); st != lambda.StatusQueued {
		t.Errorf("its row says %s, want queued", st)
	}
	if again, err := s.ClaimJobs(ctx, "greet", t0, 1); err != nil || len(again) != 0 {
		t.Errorf("ClaimJobs took a running job again: %v, %v", again, err)
	}
}

// TestRunningOverlapRules: a schedule's job running in memory counts as
// running for its overlap policy, in the claim and at creation.
func TestRunningOverlapRules(t *testing.T) {
	ctx := context.Background()
	_, _, s := jobFixture(t)
	tick := func(at time.Duration, overlap string) lambda.NewJob {
		j := testJob("greet", at)
		j.Trigger, j.Schedule, j.Overlap = lambda.TriggerCron, "sch_1", overlap
		return lambda.NewJob{Job: j}
	}
	if _, _, err := s.CreateJob(ctx, tick(0, lambda.OverlapQueue)); err != nil {
		t.Fatal(err)
	}
	if claimed, err := s.ClaimJobs(ctx, "greet", t0.Add(time.Minute), 5); err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimJobs = %v, %v", claimed, err)
	}
	// With overlap queue, one tick may wait for the running one...
	if _, _, err := s.CreateJob(ctx, tick(time.Second, lambda.OverlapQueue)); err != nil {
		t.Fatalf("a tick behind the running one: %v", err)
	}
	// ...but not two, and it is not taken while the first runs.
	if _, _, err := s.CreateJob(ctx, tick(2*time.Second, lambda.OverlapQueue)); lambda.ErrorCode(err) != lambda.ECONFLICT {
		t.Errorf("a second waiting tick: %v, want a conflict", err)
	}
	if claimed, err := s.ClaimJobs(ctx, "greet", t0.Add(time.Minute), 5); err != nil || len(claimed) != 0 {
		t.Errorf("ClaimJobs while the schedule's job runs = %v, %v; want none", claimed, err)
	}
	// With overlap skip, a tick is refused while one runs, and says so.
	_, _, err := s.CreateJob(ctx, tick(3*time.Second, lambda.OverlapSkip))
	if lambda.ErrorCode(err) != lambda.ECONFLICT {
		t.Errorf("a skip tick while one runs: %v, want a conflict", err)
	}
}
