package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/bench"
)

// returnStore creates every job, or replays it with replay set, and notes
// when it returned.
type returnStore struct {
	lambda.JobStore
	n        int
	replay   bool
	returned time.Time
}

func (s *returnStore) CreateJob(_ context.Context, n lambda.NewJob) (*lambda.Job, bool, error) {
	s.n++
	j := *n.Job
	j.ID = "job-" + strconv.Itoa(s.n)
	s.returned = time.Now()
	return &j, !s.replay, nil
}

// The bench's record of commits notes a dispatch sample's job once the
// store has returned it, once; not the throughput rounds' events, nor an
// idempotent replay, which commits nothing.
func TestBenchCommitRecord(t *testing.T) {
	store := &returnStore{}
	p := &benchPlatform{commits: newCommitRecord()}
	jobs := p.commits.wrap(store)
	create := func(payload []byte) string {
		t.Helper()
		j, _, err := jobs.CreateJob(context.Background(), lambda.NewJob{Job: &lambda.Job{Payload: payload}})
		if err != nil {
			t.Fatal(err)
		}
		return j.ID
	}

	id := create(bench.ClockEvent)
	at, err := p.Committed(id)
	if err != nil || at.Before(store.returned) {
		t.Errorf("Committed(%s) = %s, %v; want at or after the store's return %s", id, at, err, store.returned)
	}
	if _, err := p.Committed(id); err == nil {
		t.Errorf("Committed(%s) answered twice", id)
	}
	noop := create([]byte(`{}`))
	store.replay = true
	replayed := create(bench.ClockEvent)
	for _, id := range []string{noop, replayed} {
		if _, err := p.Committed(id); err == nil || !strings.Contains(err.Error(), "recorded no commit") {
			t.Errorf("Committed(%s): err = %v", id, err)
		}
	}
}
