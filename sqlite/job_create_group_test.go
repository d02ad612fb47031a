package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// createResult is what one CreateJob returned.
type createResult struct {
	job *lambda.Job
	err error
}

// createInOneBatch runs the creates of news in one batch, in their order,
// behind a held batch, and returns their results in that order. It also
// returns the sizes of the grouped runs.
func createInOneBatch(t *testing.T, db *DB, s *JobStore, news []lambda.NewJob) ([]createResult, []int) {
	t.Helper()
	var (
		mu   sync.Mutex
		runs []int
	)
	g := s.createGroup()
	s.creates.run = func(ctx context.Context, tx *sql.Tx, args []any) ([]error, error) {
		mu.Lock()
		runs = append(runs, len(args))
		mu.Unlock()
		return g.run(ctx, tx, args)
	}
	release, waitPending := holdFirstBatch(t, db)
	ctx := context.Background()
	held := make(chan error, 1)
	go func() { held <- db.batch(ctx, func(context.Context, *sql.Tx) error { return nil }) }()
	waitPending(0)
	results := make([]createResult, len(news))
	var wg sync.WaitGroup
	for i, n := range news {
		wg.Go(func() {
			j, _, err := s.CreateJob(ctx, n)
			results[i] = createResult{j, err}
		})
		waitPending(i + 1) // in this order
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return results, runs
}

// TestCreatesShareAStatement: the plain async creates of a batch are
// written by one grouped run (two statements past maxCreateRows); one of
// an unknown function fails alone, the batch writing them one at a time.
func TestCreatesShareAStatement(t *testing.T) {
	db, _, s := jobFixture(t)
	var news []lambda.NewJob
	for i := range maxCreateRows + 8 {
		fn := "greet"
		if i%3 == 0 {
			fn = "other"
		}
		news = append(news, lambda.NewJob{Job: testJob(fn, time.Duration(i)*time.Millisecond)})
	}
	results, runs := createInOneBatch(t, db, s, news)
	if len(runs) != 1 || runs[0] != len(news) {
		t.Fatalf("grouped runs of %v creates, want one of %d", runs, len(news))
	}
	ctx := context.Background()
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("create %d: %v", i, r.err)
		}
		got, err := s.FindJob(ctx, r.job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Function != news[i].Job.Function || got.Status != lambda.StatusQueued || string(got.Payload) != `{"n":1}` {
			t.Errorf("create %d: stored %s of %s, payload %s", i, got.Status, got.Function, got.Payload)
		}
	}
	counts, err := s.CountJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if g, o := counts["greet"][lambda.StatusQueued], counts["other"][lambda.StatusQueued]; g+o != len(news) || o != (len(news)+2)/3 {
		t.Errorf("queued: greet %d, other %d", g, o)
	}

	bad := []lambda.NewJob{{Job: testJob("greet", 0)}, {Job: testJob("nope", 0)}, {Job: testJob("greet", 0)}}
	results, runs = createInOneBatch(t, db, s, bad)
	if len(runs) != 1 || runs[0] != 3 {
		t.Fatalf("grouped runs of %v creates, want one of 3", runs)
	}
	checkErr(t, results[1].err, lambda.ENOTFOUND, `function "nope" not found`)
	for _, i := range []int{0, 2} {
		if results[i].err != nil {
			t.Fatalf("create %d beside a bad one: %v", i, results[i].err)
		}
		if _, err := s.FindJob(ctx, results[i].job.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCreatesGroupedKeepTheLimit: a batch's grouped creates are refused
// past the function's limit of waiting jobs in the batch's order, as one
// at a time; a job created running does not count as waiting.
func TestCreatesGroupedKeepTheLimit(t *testing.T) {
	db, _, s := jobFixture(t)
	ctx := context.Background()
	if _, _, err := s.CreateJob(ctx, lambda.NewJob{Job: testJob("greet", 0), MaxQueued: 3}); err != nil {
		t.Fatal(err)
	}
	var news []lambda.NewJob
	for i := range 5 {
		news = append(news, lambda.NewJob{Job: testJob("greet", time.Duration(i+1)*time.Millisecond), MaxQueued: 3})
	}
	results, _ := createInOneBatch(t, db, s, news)
	for i, r := range results {
		if i < 2 {
			if r.err != nil {
				t.Fatalf("create %d: %v", i, r.err)
			}
			continue
		}
		checkErr(t, r.err, lambda.ETHROTTLED, `function "greet" has 3 queued invocations, its limit`)
	}
	counts, err := s.CountJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := counts["greet"][lambda.StatusQueued]; n != 3 {
		t.Errorf("%d queued, want 3", n)
	}
}

// TestCreatesGroupedStart: with NewJob.Start, a create starts (created
// running) while none of its function's jobs waits, in the batch's order:
// once one queues, those after it queue too. So when the group's statement
// fails and the batch writes the creates one at a time.
func TestCreatesGroupedStart(t *testing.T) {
	for _, withBad := range []bool{false, true} {
		db, _, s := jobFixture(t)
		withoutJournal(db) // the rows' own mechanics
		news := []lambda.NewJob{
			{Job: testJob("greet", 0), Start: true},
			{Job: testJob("greet", time.Millisecond), Start: true},
			{Job: testJob("greet", 2*time.Millisecond)},
			{Job: testJob("greet", 3*time.Millisecond), Start: true},
		}
		started := []bool{true, true, false, false}
		if withBad {
			news = append([]lambda.NewJob{{Job: testJob("nope", 0), Start: true}}, news...)
		}
		results, _ := createInOneBatch(t, db, s, news)
		if withBad {
			checkErr(t, results[0].err, lambda.ENOTFOUND, `function "nope" not found`)
			results = results[1:]
		}
		for i, r := range results {
			if r.err != nil {
				t.Fatalf("create %d: %v", i, r.err)
			}
			want := lambda.StatusQueued
			if started[i] {
				want = lambda.StatusRunning
			}
			if r.job.Status != want {
				t.Errorf("bad one %v: create %d returned %s, want %s", withBad, i, r.job.Status, want)
			}
			got, err := s.FindJob(context.Background(), r.job.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != want {
				t.Errorf("bad one %v: job %d is %s, want %s", withBad, i, got.Status, want)
			}
		}
		if n := len(s.running().snapshot("")); n != 2 {
			t.Errorf("bad one %v: %d jobs running in memory, want 2", withBad, n)
		}
		var claimed int
		if err := db.read.QueryRow(`SELECT COUNT(*) FROM jobs WHERE claimed_at IS NOT NULL`).Scan(&claimed); err != nil {
			t.Fatal(err)
		}
		if claimed != 2 {
			t.Errorf("bad one %v: %d rows claimed, want 2", withBad, claimed)
		}
	}
}
