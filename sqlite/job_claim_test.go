package sqlite

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestClaimJobs(t *testing.T) {
	ctx := context.Background()
	// spec is a job to create: its ID, function, NextRunAt offset, status
	// to move it to, schedule and overlap.
	type spec struct {
		id, fn   string
		next     time.Duration
		status   string
		schedule string
		overlap  string
	}
	tests := []struct {
		name  string
		jobs  []spec
		now   time.Duration
		limit int
		want  []string // claimed, in order
	}{
		{"by NextRunAt, then creation order", []spec{
			{id: "c", fn: "greet", next: 2 * time.Second},
			{id: "a", fn: "greet", next: time.Second},
			{id: "b", fn: "greet", next: time.Second},
		}, time.Minute, 10, []string{"a", "b", "c"}},
		{"up to limit", []spec{
			{id: "a", fn: "greet"}, {id: "b", fn: "greet"}, {id: "c", fn: "greet"},
		}, time.Minute, 2, []string{"a", "b"}},
		{"not yet due", []spec{
			{id: "a", fn: "greet", next: time.Minute}, {id: "b", fn: "greet", next: time.Minute + time.Nanosecond},
		}, time.Minute, 10, []string{"a"}},
		{"retrying counts, others do not", []spec{
			{id: "r", fn: "greet", status: lambda.StatusRetrying},
			{id: "run", fn: "greet", status: lambda.StatusRunning},
			{id: "ok", fn: "greet", status: lambda.StatusSucceeded},
			{id: "dead", fn: "greet", status: lambda.StatusDead},
			{id: "q", fn: "greet"},
		}, time.Minute, 10, []string{"r", "q"}},
		{"only the function's", []spec{
			{id: "x", fn: "other"}, {id: "a", fn: "greet"},
		}, time.Minute, 10, []string{"a"}},
		{"skip: not while a tick runs", []spec{
			{id: "run", fn: "greet", status: lambda.StatusRunning, schedule: "s", overlap: lambda.OverlapSkip},
			{id: "t", fn: "greet", schedule: "s", overlap: lambda.OverlapSkip},
			{id: "a", fn: "greet"},
		}, time.Minute, 10, []string{"a"}},
		{"queue: one at a time, also within a call", []spec{
			{id: "t1", fn: "greet", schedule: "s", overlap: lambda.OverlapQueue},
			{id: "t2", fn: "greet", schedule: "s", overlap: lambda.OverlapQueue},
			{id: "u1", fn: "greet", schedule: "u", overlap: lambda.OverlapQueue},
			{id: "a", fn: "greet"},
		}, time.Minute, 10, []string{"t1", "u1", "a"}},
		{"a skipped tick does not use up the limit", []spec{
			{id: "t1", fn: "greet", schedule: "s", overlap: lambda.OverlapSkip},
			{id: "t2", fn: "greet", schedule: "s", overlap: lambda.OverlapSkip},
			{id: "t3", fn: "greet", schedule: "s", overlap: lambda.OverlapSkip},
			{id: "a", fn: "greet"},
		}, time.Minute, 2, []string{"t1", "a"}},
		{"allow: ticks run together", []spec{
			{id: "run", fn: "greet", status: lambda.StatusRunning, schedule: "s", overlap: lambda.OverlapAllow},
			{id: "t1", fn: "greet", schedule: "s", overlap: lambda.OverlapAllow},
			{id: "t2", fn: "greet", schedule: "s", overlap: lambda.OverlapAllow},
		}, time.Minute, 10, []string{"t1", "t2"}},
		{"zero limit", []spec{{id: "a", fn: "greet"}}, time.Minute, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, s := jobFixture(t)
			for i, sp := range tt.jobs {
				j := testJob(sp.fn, time.Duration(i)*time.Millisecond)
				j.ID, j.NextRunAt, j.Schedule, j.Overlap = sp.id, t0.Add(sp.next), sp.schedule, sp.overlap
				// The overlap checks of CreateJob would refuse some of
				// these: insert them as their statuses require.
				if sp.schedule != "" {
					j.Overlap = lambda.OverlapAllow
				}
				mustCreate(t, s, j)
				j.Overlap = sp.overlap
				if _, err := s.db.write.Exec(`UPDATE jobs SET overlap = ? WHERE id = ?`, sp.overlap, sp.id); err != nil {
					t.Fatal(err)
				}
				if sp.status != "" {
					setStatus(t, s, j, sp.status)
				}
			}
			now := t0.Add(tt.now)
			got, err := s.ClaimJobs(ctx, "greet", now, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, j := range got {
				ids = append(ids, j.ID)
				if j.Status != lambda.StatusRunning || j.StartedAt == nil || !j.StartedAt.Equal(now) || string(j.Payload) != `{"n":1}` {
					t.Errorf("claimed %s: status %s, started %v, payload %s; want running since now, with its payload", j.ID, j.Status, j.StartedAt, j.Payload)
				}
				sameJob(t, mustFind(t, s, j.ID), j)
			}
			if !reflect.DeepEqual(ids, tt.want) {
				t.Fatalf("claimed %v, want %v", ids, tt.want)
			}
		})
	}
}

func TestClaimKeepsFirstStart(t *testing.T) {
	ctx := context.Background()
	_, _, s := jobFixture(t)
	j := mustCreate(t, s, testJob("greet", 0))
	first, err := s.ClaimJobs(ctx, "greet", t0.Add(time.Second), 1)
	if err != nil || len(first) != 1 {
		t.Fatalf("first claim: %v, %v", first, err)
	}
	j = first[0]
	j.Status, j.Attempts, j.NextRunAt = lambda.StatusRetrying, 1, t0.Add(time.Minute)
	if err := s.UpdateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	again, err := s.ClaimJobs(ctx, "greet", t0.Add(2*time.Minute), 1)
	if err != nil || len(again) != 1 {
		t.Fatalf("second claim: %v, %v", again, err)
	}
	if !again[0].StartedAt.Equal(t0.Add(time.Second)) || again[0].Attempts != 1 {
		t.Errorf("retried job: started %v attempts %d, want the first claim's start and 1 attempt", again[0].StartedAt, again[0].Attempts)
	}
}

// TestConcurrentCreateAndClaim races 64 goroutines creating jobs with
// claimers: every job is claimed exactly once.
func TestConcurrentCreateAndClaim(t *testing.T) {
	ctx := context.Background()
	_, _, s := jobFixture(t)
	const creators, perCreator, claimers = 64, 20, 8
	total := creators * perCreator

	var (
		mu      sync.Mutex
		claimed = map[string]int{}
		wg      sync.WaitGroup
		errs    = make(chan error, creators+claimers)
		done    = make(chan struct{})
	)
	for c := range creators {
		wg.Go(func() {
			for i := range perCreator {
				j := testJob("greet", 0)
				j.ID = fmt.Sprintf("job-%d-%d", c, i)
				if _, _, err := s.CreateJob(ctx, lambda.NewJob{Job: j}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var claimWG sync.WaitGroup
	for range claimers {
		claimWG.Go(func() {
			for {
				finished := false // the creators were done before this claim
				select {
				case <-done:
					finished = true
				default:
				}
				jobs, err := s.ClaimJobs(ctx, "greet", t0.Add(time.Hour), 7)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, j := range jobs {
					claimed[j.ID]++
				}
				n := len(claimed)
				mu.Unlock()
				if n == total {
					return
				}
				if len(jobs) == 0 {
					if finished {
						return // what is missing now never comes
					}
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	close(done)
	claimWG.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(claimed) != total {
		t.Fatalf("%d jobs claimed, want %d", len(claimed), total)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Fatalf("job %s claimed %d times", id, n)
		}
	}
	counts, err := s.CountJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]map[string]int{"greet": {lambda.StatusRunning: total}}; !reflect.DeepEqual(counts, want) {
		t.Fatalf("counts = %v, want %v", counts, want)
	}
}
