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
	stopFlusher(db) // its batches are not counted here
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

// TestCreatesWaitForCompanyUnderLoad: while the last batch carried
// loadedBatch writes or more, the creates of async jobs wait for company
// as outcomes do, and a write that will not wait (here a claim) ends the
// wait: two creates and the claim commit in one transaction. Before, each
// create began a batch of its own at once.
func TestCreatesWaitForCompanyUnderLoad(t *testing.T) {
	db, _, s := jobFixture(t)
	stopFlusher(db) // its batches are not counted here
	db.batcher.linger = time.Hour
	db.batcher.mu.Lock()
	db.batcher.last = loadedBatch
	db.batcher.mu.Unlock()
	batches := db.batcher.batches.Load()
	ctx := context.Background()
	created := make(chan error, 2)
	for range 2 {
		go func() {
			_, _, err := s.CreateJob(ctx, lambda.NewJob{Job: testJob("greet", time.Second)})
			created <- err
		}()
	}
	// Until both wait behind a lingering leader.
	for deadline := time.Now().Add(10 * time.Second); pending(db) < 2 || !lingering(db); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s, %d creates wait for a batch (lingering %v), want 2 behind a lingering leader", pending(db), lingering(db))
		}
	}
	if _, err := s.ClaimJobs(ctx, "greet", t0.Add(time.Hour), 10); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-created; err != nil {
			t.Fatal(err)
		}
	}
	if n := db.batcher.batches.Load() - batches; n != 1 {
		t.Errorf("%d batches for two creates and a claim under load, want 1", n)
	}
}

// TestACreateAloneGoesAtOnce: with the writer not loaded, a create does
// not wait for company (the linger is an hour here).
func TestACreateAloneGoesAtOnce(t *testing.T) {
	db, _, s := jobFixture(t)
	stopFlusher(db) // its batches are not counted here
	db.batcher.linger = time.Hour
	created := make(chan error, 1)
	go func() {
		_, _, err := s.CreateJob(context.Background(), lambda.NewJob{Job: testJob("greet", time.Second)})
		created <- err
	}()
	select {
	case err := <-created:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a create on an idle writer waited for company")
	}
}

// pending is how many writes wait for a batch, the leader's included.
func pending(db *DB) int {
	db.batcher.mu.Lock()
	defer db.batcher.mu.Unlock()
	return len(db.batcher.pending)
}
