package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// countOutcomeRuns wraps s's outcome group so that it records the number
// of outcomes each grouped run got.
func countOutcomeRuns(s *JobStore) (runs func() []int) {
	var (
		mu  sync.Mutex
		got []int
	)
	g := s.outcomeGroup()
	s.outcomes.run = func(ctx context.Context, tx *sql.Tx, args []any) ([]error, error) {
		mu.Lock()
		got = append(got, len(args))
		mu.Unlock()
		return g.run(ctx, tx, args)
	}
	return func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), got...)
	}
}

// claimAll creates n jobs of greet and claims them: running in memory.
func claimAll(t *testing.T, s *JobStore, n int) []*lambda.Job {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		if _, _, err := s.CreateJob(ctx, lambda.NewJob{Job: testJob("greet", time.Duration(i)*time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
	}
	jobs, err := s.ClaimJobs(ctx, "greet", t0.Add(time.Hour), n)
	if err != nil || len(jobs) != n {
		t.Fatalf("ClaimJobs: %d jobs, %v; want %d", len(jobs), err, n)
	}
	return jobs
}

// TestOutcomesShareAStatement: the outcomes of one batch are written by
// one grouped run (two statements past maxOutcomeRows), each job gets its
// own result, and the jobs leave the running overlay.
func TestOutcomesShareAStatement(t *testing.T) {
	db, _, s := jobFixture(t)
	withoutJournal(db) // the rows' own mechanics
	runs := countOutcomeRuns(s)
	jobs := claimAll(t, s, maxOutcomeRows+8)
	release, waitPending := holdFirstBatch(t, db)
	ctx := context.Background()
	held := make(chan error, 1)
	go func() { held <- db.batch(ctx, func(context.Context, *sql.Tx) error { return nil }) }()
	waitPending(0)
	errs := make(chan error, len(jobs))
	for i, j := range jobs {
		j.Status, j.Attempts, j.HTTPStatus, j.Response = lambda.StatusSucceeded, 1, 200, []byte(fmt.Sprintf(`{"n":%d}`, i))
		go func() { errs <- s.UpdateJob(ctx, j) }()
	}
	missing := make(chan error, 1)
	waitPending(len(jobs))
	go func() { missing <- s.UpdateJob(ctx, &lambda.Job{ID: "no-such-job", Status: lambda.StatusSucceeded}) }()
	waitPending(len(jobs) + 1)
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for range jobs {
		if err := <-errs; err != nil {
			t.Fatalf("UpdateJob: %v", err)
		}
	}
	checkErr(t, <-missing, lambda.ENOTFOUND, `invocation "no-such-job" not found`)
	if got := runs(); len(got) != 1 || got[0] != len(jobs)+1 {
		t.Fatalf("grouped runs got %v outcomes, want one run of %d", got, len(jobs)+1)
	}
	for i, j := range jobs {
		got, err := s.FindJob(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != lambda.StatusSucceeded || got.Attempts != 1 || string(got.Response) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Errorf("job %d: %s, %d attempts, response %s", i, got.Status, got.Attempts, got.Response)
		}
	}
	if n := len(s.running().snapshot("")); n != 0 {
		t.Errorf("%d jobs still running in memory", n)
	}
	var claimed int
	if err := db.read.QueryRow(`SELECT COUNT(*) FROM jobs WHERE claimed_at IS NOT NULL`).Scan(&claimed); err != nil {
		t.Fatal(err)
	}
	if claimed != 0 {
		t.Errorf("%d rows still claimed", claimed)
	}
	counts, err := s.CountJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c := counts["greet"]; c[lambda.StatusSucceeded] != len(jobs) || c[lambda.StatusQueued]+c[lambda.StatusRunning] != 0 {
		t.Errorf("counts %v, want %d succeeded", c, len(jobs))
	}
}

// TestOutcomesFallBackOneByOne: a group the statement cannot write (here
// one job twice, whose writes must keep their order) is written one
// outcome at a time, each with its own result.
func TestOutcomesFallBackOneByOne(t *testing.T) {
	db, _, s := jobFixture(t)
	jobs := claimAll(t, s, 2)
	release, waitPending := holdFirstBatch(t, db)
	ctx := context.Background()
	held := make(chan error, 1)
	go func() { held <- db.batch(ctx, func(context.Context, *sql.Tx) error { return nil }) }()
	waitPending(0)
	first, second := jobs[0].Clone(), jobs[0].Clone()
	first.Status, first.Attempts = lambda.StatusRetrying, 1
	second.Status, second.Attempts = lambda.StatusSucceeded, 2
	other := jobs[1]
	other.Status = lambda.StatusFailed
	errs := make(chan error, 4)
	for n, j := range []*lambda.Job{first, second, other, {ID: "no-such-job", Status: lambda.StatusDead}} {
		go func() { errs <- s.UpdateJob(ctx, j) }()
		waitPending(n + 1) // in this order
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	notFound := 0
	for range 4 {
		switch err := <-errs; {
		case lambda.ErrorCode(err) == lambda.ENOTFOUND:
			notFound++
		case err != nil:
			t.Fatalf("UpdateJob: %v", err)
		}
	}
	if notFound != 1 {
		t.Fatalf("%d outcomes not found, want 1", notFound)
	}
	for _, want := range []*lambda.Job{second, other} {
		got, err := s.FindJob(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != want.Status || got.Attempts != want.Attempts {
			t.Errorf("job %s: %s after %d attempts, want %s after %d", want.ID, got.Status, got.Attempts, want.Status, want.Attempts)
		}
	}
}

// TestGroupChunk: a group's statements take the largest power of two of
// the rows left, up to the bound: few sizes, each kept prepared.
func TestGroupChunk(t *testing.T) {
	tests := []struct{ n, max, want int }{
		{1, 32, 1}, {2, 32, 2}, {3, 32, 2}, {13, 32, 8}, {32, 32, 32}, {33, 32, 32}, {300, 32, 32}, {5, 4, 4},
	}
	for _, tt := range tests {
		if got := groupChunk(tt.n, tt.max); got != tt.want {
			t.Errorf("groupChunk(%d, %d) = %d, want %d", tt.n, tt.max, got, tt.want)
		}
	}
}
