package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// testRecord is a synchronous invocation of fn that started at t0+at.
func testRecord(fn string, n int, at time.Duration) *lambda.Invocation {
	return &lambda.Invocation{
		ID: fmt.Sprintf("%s-%d", fn, n), Function: fn, Version: 1, Trigger: lambda.TriggerHTTP,
		Start: t0.Add(at), Duration: 12 * time.Millisecond, Status: lambda.StatusSucceeded, HTTPStatus: 200, Attempt: 1,
	}
}

func mustSave(t *testing.T, s *InvocationStore, recs ...*lambda.Invocation) {
	t.Helper()
	if err := s.SaveInvocations(context.Background(), recs); err != nil {
		t.Fatalf("SaveInvocations: %v", err)
	}
}

func listIDs(t *testing.T, s *InvocationStore, f lambda.JobFilter) []string {
	t.Helper()
	jobs, err := s.ListInvocations(context.Background(), f)
	if err != nil {
		t.Fatalf("ListInvocations(%+v): %v", f, err)
	}
	ids := []string{}
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	return ids
}

func TestInvocationRecordRoundTrip(t *testing.T) {
	db, _, _ := jobFixture(t)
	s := NewInvocationStore(db)
	r := testRecord("greet", 1, 0)
	r.Cold, r.QueueWait, r.InitDuration, r.Trigger = true, 3*time.Millisecond, 250*time.Millisecond, lambda.TriggerAPI
	failed := testRecord("greet", 2, time.Second)
	failed.Status, failed.HTTPStatus, failed.ErrorType, failed.ThrottleReason = lambda.StatusFailed, 429, lambda.ETHROTTLED, "max_instances"
	mustSave(t, s, r, failed)

	got, err := s.FindInvocation(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := lambda.InvocationJob(r)
	want.Seq = got.Seq
	sameJob(t, got, want)
	if !got.History[0].Cold || got.Trigger != lambda.TriggerAPI || !got.Sync || got.Attempts != 1 || !got.StartedAt.Equal(r.Start) {
		t.Errorf("record %+v", got)
	}
	f, err := s.FindInvocation(context.Background(), failed.ID)
	if err != nil || f.Status != lambda.StatusFailed || f.ErrorType != lambda.ETHROTTLED || f.ErrorMessage != "max_instances" || f.HTTPStatus != 429 {
		t.Errorf("failed record %+v, %v", f, err)
	}
	_, err = s.FindInvocation(context.Background(), "nosuch")
	checkErr(t, err, lambda.ENOTFOUND, `invocation "nosuch" not found`)
}

// A batch is one write of the group commit, whatever its size.
func TestSaveInvocationsIsOneWrite(t *testing.T) {
	db, _, _ := jobFixture(t)
	s := NewInvocationStore(db)
	var recs []*lambda.Invocation
	for i := range 256 {
		recs = append(recs, testRecord("greet", i, time.Duration(i)*time.Millisecond))
	}
	before := db.batcher.ops.Load()
	mustSave(t, s, recs...)
	if n := db.batcher.ops.Load() - before; n != 1 {
		t.Errorf("256 records took %d writes, want 1", n)
	}
	if ids := listIDs(t, s, lambda.JobFilter{Function: "greet", Limit: 1000}); len(ids) != 256 || ids[0] != "greet-255" {
		t.Errorf("listed %d, first %v", len(ids), ids[:1])
	}
}

// Each function keeps its newest Keep records; another function's stay.
func TestSaveInvocationsPrunes(t *testing.T) {
	db, _, _ := jobFixture(t)
	s := NewInvocationStore(db)
	s.Keep = 5
	mustSave(t, s, testRecord("other", 0, 0), testRecord("other", 1, 0))
	for batch := range 3 {
		var recs []*lambda.Invocation
		for i := range 4 {
			n := batch*4 + i
			recs = append(recs, testRecord("greet", n, time.Duration(n)*time.Second))
		}
		mustSave(t, s, recs...)
	}
	got := strings.Join(listIDs(t, s, lambda.JobFilter{Function: "greet", Limit: 100}), ",")
	if want := "greet-11,greet-10,greet-9,greet-8,greet-7"; got != want {
		t.Errorf("greet keeps %s, want %s", got, want)
	}
	if got := listIDs(t, s, lambda.JobFilter{Function: "other"}); len(got) != 2 {
		t.Errorf("other keeps %v", got)
	}
	if _, err := s.FindInvocation(context.Background(), "greet-0"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("a pruned record: %v", err)
	}
}

// The default cap is MaxInvocationsKept.
func TestSaveInvocationsCap(t *testing.T) {
	db, _, _ := jobFixture(t)
	s := NewInvocationStore(db)
	n := lambda.MaxInvocationsKept + 300
	for i := 0; i < n; i += 256 {
		var recs []*lambda.Invocation
		for k := i; k < min(i+256, n); k++ {
			recs = append(recs, testRecord("greet", k, time.Duration(k)*time.Millisecond))
		}
		mustSave(t, s, recs...)
	}
	if got := listIDs(t, s, lambda.JobFilter{Function: "greet", Limit: 1000}); len(got) != lambda.MaxInvocationsKept || got[0] != fmt.Sprintf("greet-%d", n-1) {
		t.Errorf("listed %d records, newest %v; want %d", len(got), got[:1], lambda.MaxInvocationsKept)
	}
	// The table holds at most a chunk more than is listed.
	var stored int
	if err := db.read.QueryRow(`SELECT SUM(n) FROM invocation_chunks WHERE function = 'greet'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored > lambda.MaxInvocationsKept+256 {
		t.Errorf("%d records stored for a cap of %d in chunks of 256", stored, lambda.MaxInvocationsKept)
	}
	if _, err := s.FindInvocation(context.Background(), fmt.Sprintf("greet-%d", n-lambda.MaxInvocationsKept-1)); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("the newest record past the cap: %v, want ENOTFOUND", err)
	}
	oldest := fmt.Sprintf("greet-%d", n-lambda.MaxInvocationsKept)
	if _, err := s.FindInvocation(context.Background(), oldest); err != nil {
		t.Errorf("the oldest record kept, %s: %v", oldest, err)
	}
}

// Records of a deleted function go with it, and those still in the
// writer's queue when it goes are dropped; a job's ID is not recorded twice.
func TestInvocationRecordsSkipped(t *testing.T) {
	ctx := context.Background()
	db, fs, jobs := jobFixture(t)
	s := NewInvocationStore(db)
	mustSave(t, s, testRecord("greet", 1, 0), testRecord("other", 1, 0))
	if err := fs.DeleteFunction(ctx, "greet"); err != nil {
		t.Fatal(err)
	}
	keyed := mustCreate(t, jobs, testJob("other", time.Second))
	dup := testRecord("other", 2, time.Second)
	dup.ID = keyed.ID
	mustSave(t, s, testRecord("greet", 2, time.Second), dup, testRecord("other", 3, 2*time.Second))
	if got := listIDs(t, s, lambda.JobFilter{Function: "greet"}); len(got) != 0 {
		t.Errorf("deleted function's records: %v", got)
	}
	if got := strings.Join(listIDs(t, s, lambda.JobFilter{Function: "other"}), ","); got != "other-3,other-1" {
		t.Errorf("other's records: %s", got)
	}
	// The same record saved twice (a retried batch) is kept once.
	mustSave(t, s, testRecord("other", 3, 2*time.Second))
	if got := listIDs(t, s, lambda.JobFilter{Function: "other"}); len(got) != 2 {
		t.Errorf("after a repeated save: %v", got)
	}
}

func TestListInvocationRecords(t *testing.T) {
	db, _, _ := jobFixture(t)
	s := NewInvocationStore(db)
	a, b, c := testRecord("greet", 1, 0), testRecord("greet", 2, time.Second), testRecord("greet", 3, time.Second)
	b.Status = lambda.StatusFailed
	mustSave(t, s, a, b, c, testRecord("other", 1, time.Second))
	tests := []struct {
		name string
		f    lambda.JobFilter
		want string
	}{
		{"all, newest first, store order at equal times", lambda.JobFilter{Function: "greet"}, "greet-3,greet-2,greet-1"},
		{"failed", lambda.JobFilter{Function: "greet", Status: lambda.StatusFailed}, "greet-2"},
		{"succeeded", lambda.JobFilter{Function: "greet", Status: lambda.StatusSucceeded}, "greet-3,greet-1"},
		{"a job's status selects none", lambda.JobFilter{Function: "greet", Status: lambda.StatusDead}, ""},
		{"since", lambda.JobFilter{Function: "greet", Since: t0.Add(time.Second)}, "greet-3,greet-2"},
		{"before", lambda.JobFilter{Function: "greet", Before: t0.Add(time.Second)}, "greet-1"},
		{"limit", lambda.JobFilter{Function: "greet", Limit: 1}, "greet-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(listIDs(t, s, tt.f), ","); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// Paging by cursor, one at a time, lists each once.
	var got []string
	f := lambda.JobFilter{Function: "greet", Limit: 1}
	for range 5 {
		page, err := s.ListInvocations(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page[0].ID)
		f.After = &lambda.JobCursor{CreatedAt: page[0].CreatedAt, Seq: page[0].Seq}
	}
	if strings.Join(got, ",") != "greet-3,greet-2,greet-1" {
		t.Errorf("pages: %v", got)
	}
	_, err := s.ListInvocations(context.Background(), lambda.JobFilter{Status: "done"})
	checkErr(t, err, lambda.EINVALID, "status")
}
