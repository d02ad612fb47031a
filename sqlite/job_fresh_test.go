package sqlite

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestClaimReadsFreshJobsFromMemory: a claim of jobs kept as created
// returns what a claim reading their rows returns, and reads the row of a
// job changed since (by another server on the same file, here).
func TestClaimReadsFreshJobsFromMemory(t *testing.T) {
	db, _, s := jobFixture(t)
	withoutJournal(db) // the rows' own mechanics
	ctx := context.Background()
	var ids []string
	for i := range 6 {
		j := testJob("greet", time.Duration(i)*time.Millisecond)
		j.TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
		if _, _, err := s.CreateJob(ctx, lambda.NewJob{Job: j}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	if n := len(s.fresh().bySeq); n != 6 {
		t.Fatalf("%d jobs kept as created, want 6", n)
	}
	// Job 1 changed behind the store's back; job 2 forgotten: both from
	// their rows.
	if _, err := db.write.Exec(`UPDATE jobs SET attempts = 1, history = '[{"attempt":1,"counted":true,"start":"2026-01-01T00:00:00Z","duration":0,"status":"failed"}]' WHERE id = ?`, ids[1]); err != nil {
		t.Fatal(err)
	}
	s.fresh().forget(ids[2])
	now := t0.Add(time.Hour)
	jobs, err := s.ClaimJobs(ctx, "greet", now, 6)
	if err != nil || len(jobs) != 6 {
		t.Fatalf("ClaimJobs: %d jobs, %v", len(jobs), err)
	}
	if n := len(s.fresh().bySeq); n != 0 {
		t.Errorf("%d jobs still kept after their claim", n)
	}
	for i, j := range jobs {
		if j.ID != ids[i] {
			t.Fatalf("claim %d is %s, want %s", i, j.ID, ids[i])
		}
		// A claim reading every row: the job found now, as the claim
		// made it.
		found, err := s.FindJob(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(j, found) {
			t.Errorf("claim %d:\n got %+v\nwant %+v", i, j, found)
		}
	}
	if jobs[1].Attempts != 1 || len(jobs[1].History) != 1 {
		t.Errorf("job changed in its row claimed with %d attempts, %d in its history: from memory", jobs[1].Attempts, len(jobs[1].History))
	}
}

// TestFreshJobsBounded: past its bounds the oldest jobs go.
func TestFreshJobsBounded(t *testing.T) {
	var f freshJobs
	big := []byte(`"` + strings.Repeat("x", 1<<20) + `"`)
	for i := range maxFreshJobs + 10 {
		f.add(int64(i), &lambda.Job{ID: "j" + string(rune('a'+i%26)) + string(rune(i)), Payload: []byte(`{}`)})
	}
	if len(f.bySeq) != maxFreshJobs || f.take(0, "") != nil || f.take(9, "") != nil {
		t.Fatalf("%d jobs kept, want the newest %d", len(f.bySeq), maxFreshJobs)
	}
	f.clear()
	for i := range 40 {
		f.add(int64(i), &lambda.Job{ID: string(rune('A' + i)), Payload: big})
	}
	if f.bytes > maxFreshBytes || len(f.bySeq) != maxFreshBytes/len(big) {
		t.Fatalf("%d jobs, %d bytes kept, bound %d", len(f.bySeq), f.bytes, maxFreshBytes)
	}
	if j := f.take(39, "B"); j != nil {
		t.Errorf("took %s for another ID", j.ID)
	}
	if _, ok := f.bySeq[39]; ok {
		t.Error("a seq taken for another ID is still kept")
	}
}
