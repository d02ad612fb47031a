package sqlite

import (
	"context"
	"sync"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestReadStatementsKept: the queue's reads run through statements kept
// per query, from many goroutines at once, and still work once the DB
// was closed and opened again (its statements went with the old pool).
func TestReadStatementsKept(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	withoutJournal(db) // the rows' own mechanics
	fs := NewFunctionStore(db)
	if err := fs.PublishVersion(ctx, testVersion("greet", 1)); err != nil {
		t.Fatal(err)
	}
	js := NewJobStore(db)
	j := &lambda.Job{Function: "greet", Trigger: lambda.TriggerAsync, Payload: []byte(`{}`)}
	if _, _, err := js.CreateJob(ctx, lambda.NewJob{Job: j}); err != nil {
		t.Fatal(err)
	}
	read := func(what string) {
		t.Helper()
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if got, err := js.FindJob(ctx, j.ID); err != nil || got.ID != j.ID {
					t.Errorf("%s: FindJob: %v %v", what, got, err)
				}
				if due, err := js.DueJobs(ctx); err != nil || due["greet"].IsZero() {
					t.Errorf("%s: DueJobs: %v %v", what, due, err)
				}
				if c, err := js.CountJobs(ctx); err != nil || c["greet"][lambda.StatusQueued] != 1 {
					t.Errorf("%s: CountJobs: %v %v", what, c, err)
				}
			}()
		}
		wg.Wait()
	}
	read("first")
	kept, ok := db.reads.m.Load(findJobQuery)
	if !ok {
		t.Fatal("FindJob's statement was not kept")
	}
	read("again")
	if again, _ := db.reads.m.Load(findJobQuery); again != kept {
		t.Error("FindJob's statement was prepared again")
	}
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	read("after a reopen")
	if _, err := js.FindJob(ctx, "nosuch"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("FindJob of an unknown ID: %v, want not found", err)
	}
}
