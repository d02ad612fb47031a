package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestOutcomeWaitsForACreate: a batch of outcomes alone waits for company
// (batchLinger), and a create, whose caller waits for its commit, ends the
// wait at once: both commit in one transaction. The linger is made long
// here, so that only the create can have started the batch.
func TestOutcomeWaitsForACreate(t *testing.T) {
	db, _, s := jobFixture(t)
	jobs := claimAll(t, s, 1)
	db.batcher.linger = time.Hour
	batches := db.batcher.batches.Load()
	ctx := context.Background()
	j := jobs[0]
	j.Status, j.Attempts, j.FinishedAt = lambda.StatusSucceeded, 1, &t0
	wrote := make(chan error, 1)
	go func() { wrote <- s.UpdateJob(ctx, j) }()
	for !lingering(db) {
		time.Sleep(time.Millisecond) // until the outcome's leader waits
	}
	if _, _, err := s.CreateJob(ctx, lambda.NewJob{Job: testJob("greet", time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if n := db.batcher.batches.Load() - batches; n != 1 {
		t.Errorf("%d batches for an outcome and a create, want 1", n)
	}
	if got, err := s.FindJob(ctx, j.ID); err != nil || got.Status != lambda.StatusSucceeded {
		t.Errorf("the outcome: %v, %v", got, err)
	}
}

// lingering reports whether a leader waits for company.
func lingering(db *DB) bool {
	db.batcher.mu.Lock()
	defer db.batcher.mu.Unlock()
	return db.batcher.lingering != nil
}
