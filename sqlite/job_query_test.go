package sqlite

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestListJobs(t *testing.T) {
	ctx := context.Background()
	_, _, s := jobFixture(t)
	// g0..g5 of greet a minute apart, g1 and g4 dead; o0 of other. g5b
	// shares g5's CreatedAt and comes after it in creation order.
	var all []*lambda.Job
	for i := range 6 {
		j := testJob("greet", time.Duration(i)*time.Minute)
		j.ID = fmt.Sprintf("g%d", i)
		all = append(all, mustCreate(t, s, j))
	}
	g5b := testJob("greet", 5*time.Minute)
	g5b.ID = "g5b"
	mustCreate(t, s, g5b)
	o0 := testJob("other", 30*time.Second)
	o0.ID = "o0"
	mustCreate(t, s, o0)
	setStatus(t, s, all[1], lambda.StatusDead)
	setStatus(t, s, all[4], lambda.StatusDead)

	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	tests := []struct {
		name string
		f    lambda.JobFilter
		want []string
		code string
	}{
		{"a function, newest first", lambda.JobFilter{Function: "greet"}, []string{"g5b", "g5", "g4", "g3", "g2", "g1", "g0"}, ""},
		{"all functions", lambda.JobFilter{}, []string{"g5b", "g5", "g4", "g3", "g2", "g1", "o0", "g0"}, ""},
		{"by status", lambda.JobFilter{Function: "greet", Status: lambda.StatusDead}, []string{"g4", "g1"}, ""},
		{"by status, all functions", lambda.JobFilter{Status: lambda.StatusQueued}, []string{"g5b", "g5", "g3", "g2", "o0", "g0"}, ""},
		{"since", lambda.JobFilter{Function: "greet", Since: at(4)}, []string{"g5b", "g5", "g4"}, ""},
		{"before", lambda.JobFilter{Function: "greet", Before: at(3)}, []string{"g2", "g1", "g0"}, ""},
		// g5b (seq 7) shares g5's CreatedAt: paging after it reaches g5.
		{"after a cursor", lambda.JobFilter{Function: "greet", After: &lambda.JobCursor{CreatedAt: at(5), Seq: 7}}, []string{"g5", "g4", "g3", "g2", "g1", "g0"}, ""},
		{"after a cursor, by status", lambda.JobFilter{Status: lambda.StatusDead, After: &lambda.JobCursor{CreatedAt: at(4), Seq: 5}}, []string{"g1"}, ""},
		{"since and before", lambda.JobFilter{Since: at(1), Before: at(3)}, []string{"g2", "g1"}, ""},
		{"limit", lambda.JobFilter{Function: "greet", Limit: 2}, []string{"g5b", "g5"}, ""},
		{"unknown function", lambda.JobFilter{Function: "nope"}, []string{}, ""},
		{"unknown status", lambda.JobFilter{Status: "done"}, nil, lambda.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListJobs(ctx, tt.f)
			checkErr(t, err, tt.code, "")
			if err != nil {
				return
			}
			ids := []string{}
			for _, j := range got {
				ids = append(ids, j.ID)
				if j.Payload != nil || j.Response != nil {
					t.Errorf("listed %s with payload %q response %q, want neither", j.ID, j.Payload, j.Response)
				}
				if j.Function == "" || j.Status == "" || j.CreatedAt.IsZero() || j.PayloadHash == "" {
					t.Errorf("listed %s without its other fields: %+v", j.ID, j)
				}
			}
			if !reflect.DeepEqual(ids, tt.want) {
				t.Fatalf("listed %v, want %v", ids, tt.want)
			}
		})
	}
}

func TestListJobsLimits(t *testing.T) {
	ctx := context.Background()
	_, _, s := jobFixture(t)
	n := lambda.MaxJobListLimit + 5
	// Straight into the table: a thousand creates through the API take
	// a thousand batches here.
	insertJobs(t, s, "greet", n, lambda.StatusSucceeded)
	for _, tt := range []struct{ limit, want int }{
		{0, lambda.DefaultJobListLimit},
		{-1, lambda.DefaultJobListLimit},
		{3, 3},
		{lambda.MaxJobListLimit + 1, lambda.MaxJobListLimit},
	} {
		got, err := s.ListJobs(ctx, lambda.JobFilter{Function: "greet", Limit: tt.limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tt.want {
			t.Errorf("limit %d: %d jobs, want %d", tt.limit, len(got), tt.want)
		}
	}
}

// insertJobs adds n jobs of fn in one transaction, created a millisecond
// apart from t0, in status (ended ones finished when created).
func insertJobs(t testing.TB, s *JobStore, fn string, n int, status string) []string {
	t.Helper()
	tx, err := s.db.write.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare(`INSERT INTO jobs (` + jobColumns + `) VALUES (` + jobPlaceholders + `)`)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	ids := make([]string, n)
	for i := range n {
		j := testJob(fn, time.Duration(i)*time.Millisecond)
		j.ID, j.Status, j.NextRunAt = lambda.NewRequestID(), status, j.CreatedAt
		if ended(status) {
			j.FinishedAt = &j.CreatedAt
		}
		args, err := jobArgs(j)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stmt.Exec(args...); err != nil {
			t.Fatal(err)
		}
		ids[i] = j.ID
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestDueAndCountJobs(t *testing.T) {
	ctx := context.Background()
	_, fs, s := jobFixture(t)
	mustPublish(t, fs, testVersion("idle", 1))
	create := func(fn string, next time.Duration, status string) *lambda.Job {
		j := testJob(fn, 0)
		j.NextRunAt = t0.Add(next)
		j = mustCreate(t, s, j)
		if status != lambda.StatusQueued {
			setStatus(t, s, j, status)
		}
		return j
	}
	create("greet", 3*time.Minute, lambda.StatusQueued)
	create("greet", 2*time.Minute, lambda.StatusRetrying)
	create("greet", time.Minute, lambda.StatusRunning) // not waiting
	create("greet", time.Second, lambda.StatusDead)    // nor this one
	o := create("other", 5*time.Minute, lambda.StatusQueued)
	create("idle", time.Second, lambda.StatusSucceeded)

	due, err := s.DueJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]time.Time{"greet": t0.Add(2 * time.Minute), "other": t0.Add(5 * time.Minute)}; !reflect.DeepEqual(due, want) {
		t.Errorf("DueJobs = %v, want %v", due, want)
	}
	counts, err := s.CountJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]int{
		"greet": {lambda.StatusQueued: 1, lambda.StatusRetrying: 1, lambda.StatusRunning: 1, lambda.StatusDead: 1},
		"other": {lambda.StatusQueued: 1},
		"idle":  {lambda.StatusSucceeded: 1},
	}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("CountJobs = %v, want %v", counts, want)
	}

	// other's job runs: it has nothing due and its count moves.
	setStatus(t, s, o, lambda.StatusRunning)
	due, _ = s.DueJobs(ctx)
	if _, ok := due["other"]; ok || len(due) != 1 {
		t.Errorf("DueJobs after other's job started = %v, want greet only", due)
	}
	counts, _ = s.CountJobs(ctx)
	if !reflect.DeepEqual(counts["other"], map[string]int{lambda.StatusRunning: 1}) {
		t.Errorf("counts of other = %v, want one running", counts["other"])
	}
}

func TestCountsFollowEveryWrite(t *testing.T) {
	ctx := context.Background()
	db, _, s := jobFixture(t)
	withoutJournal(db) // the rows' own mechanics
	// Each write below is checked against a count of the rows themselves.
	check := func(step string) {
		t.Helper()
		counts, err := s.CountJobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// A job running in memory counts as running while its row waits.
		running := s.running().snapshot("")
		rows, err := s.db.read.Query(`SELECT seq, function, status FROM jobs`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		want := map[string]map[string]int{}
		for rows.Next() {
			var fn, st string
			var seq int64
			if err := rows.Scan(&seq, &fn, &st); err != nil {
				t.Fatal(err)
			}
			if _, ok := running[seq]; ok && (st == lambda.StatusQueued || st == lambda.StatusRetrying) {
				st = lambda.StatusRunning
			}
			if want[fn] == nil {
				want[fn] = map[string]int{}
			}
			want[fn][st]++
		}
		if !reflect.DeepEqual(counts, want) {
			t.Fatalf("after %s: CountJobs = %v, the rows say %v", step, counts, want)
		}
	}
	var jobs []*lambda.Job
	for i := range 5 {
		jobs = append(jobs, mustCreate(t, s, testJob("greet", time.Duration(i))))
	}
	check("creates")
	if _, err := s.ClaimJobs(ctx, "greet", t0.Add(time.Hour), 3); err != nil {
		t.Fatal(err)
	}
	check("a claim")
	setStatus(t, s, jobs[0], lambda.StatusDead)
	setStatus(t, s, jobs[1], lambda.StatusSucceeded)
	setStatus(t, s, jobs[1], lambda.StatusSucceeded) // unchanged status
	check("updates")
	if _, err := s.RedriveJobs(ctx, "greet", nil, t0, 0); err != nil {
		t.Fatal(err)
	}
	check("a redrive")
	if _, err := s.RequeueRunning(ctx, t0); err != nil {
		t.Fatal(err)
	}
	check("a requeue")
	if _, err := s.PruneJobs(ctx, t0.Add(time.Hour), t0); err != nil {
		t.Fatal(err)
	}
	check("a prune")
}
