package asynctest

import (
	"slices"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// testListPages: jobs redriven together share a CreatedAt, and a listing
// paged by its cursor still reaches every one of them, once, newest first
// (the last created first among equals).
func testListPages(t *testing.T, e *env) {
	fn := "pager"
	e.deploy(fn, lambda.Scaling{MaxRetries: intp(0)})
	var created []string
	for range 10 {
		j := e.submit(fn, `{}`)
		j = e.find(j.ID)
		j.Status = lambda.StatusDead
		if err := e.jobs.UpdateJob(e.ctx, j); err != nil {
			t.Fatalf("UpdateJob: %v", err)
		}
		created = append(created, j.ID)
		e.clock.Advance(time.Second)
	}
	e.clock.Advance(time.Minute)
	if out, err := e.q.Redrive(e.ctx, fn, nil); err != nil || len(out) != 10 {
		t.Fatalf("Redrive all: %d jobs, %v; want 10", len(out), err)
	}
	other := e.submit(fn, `{}`) // later: the first listed
	slices.Reverse(created)
	want := append([]string{other.ID}, created...)

	for _, limit := range []int{1, 3, 10, 11, 12} {
		var got []string
		f := lambda.JobFilter{Function: fn, Limit: limit}
		for page := 0; ; page++ {
			if page > len(want) {
				t.Fatalf("limit %d: still paging after %d pages: %v", limit, page, got)
			}
			jobs, err := e.q.ListJobs(e.ctx, f)
			if err != nil {
				t.Fatalf("limit %d: ListJobs: %v", limit, err)
			}
			for _, j := range jobs {
				got = append(got, j.ID)
			}
			if len(jobs) < limit {
				break
			}
			f.After = lambda.CursorAfter(jobs[len(jobs)-1])
			// The cursor crosses the API as a token.
			if f.After, err = lambda.ParseJobCursor(f.After.String()); err != nil {
				t.Fatalf("ParseJobCursor: %v", err)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: listed\n%v\nwant\n%v", limit, got, want)
		}
	}
	// With a status, the cursor pages within it.
	f := lambda.JobFilter{Function: fn, Status: lambda.StatusQueued, Limit: 4}
	first, err := e.q.ListJobs(e.ctx, f)
	if err != nil || len(first) != 4 {
		t.Fatalf("queued, limit 4: %d, %v", len(first), err)
	}
	f.After = lambda.CursorAfter(first[3])
	if rest, err := e.q.ListJobs(e.ctx, f); err != nil || len(rest) != 4 || rest[0].ID != want[4] {
		t.Errorf("queued after the fourth: %d jobs, %v; want 4 from %s", len(rest), err, want[4])
	}
}
