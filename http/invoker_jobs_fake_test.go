package http

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/lambdahq/lambda"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// fakeJobStore keeps jobs in memory with the idempotency rules of
// lambda.JobStore that the Invoker relies on: a key names one job per
// function; another payload is EIDEMPOTENCY; a sync job that ended
// without the function running (Version 0) frees its key. Methods the
// Invoker does not use panic through the nil interface.
type fakeJobStore struct {
	lambda.JobStore
	mu      sync.Mutex
	jobs    map[string]*lambda.Job // by ID
	keys    map[string]string      // function + key → job ID
	updates int
}

func newFakeJobStore() *fakeJobStore {
	return &fakeJobStore{jobs: map[string]*lambda.Job{}, keys: map[string]string{}}
}

func (f *fakeJobStore) CreateJob(_ context.Context, n lambda.NewJob) (*lambda.Job, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := n.Job
	k := j.Function + "\x00" + j.IdempotencyKey
	if id, ok := f.keys[k]; ok && j.IdempotencyKey != "" {
		old := f.jobs[id]
		freed := old.Sync && !old.Pending() && old.Version == 0
		if !freed {
			if old.PayloadHash != j.PayloadHash {
				return nil, false, &lambda.Error{Code: lambda.EIDEMPOTENCY, Message: fmt.Sprintf("idempotency key %q was used with another payload", j.IdempotencyKey), Err: &lambda.KeyOwner{ID: id}}
			}
			c := *old
			return &c, false, nil
		}
	}
	c := *j
	c.Payload = append([]byte(nil), j.Payload...) // the caller's buffer is not the store's
	f.jobs[c.ID] = &c
	if j.IdempotencyKey != "" {
		f.keys[k] = c.ID
	}
	return j, true, nil
}

func (f *fakeJobStore) UpdateJob(_ context.Context, j *lambda.Job) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	old, ok := f.jobs[j.ID]
	if !ok {
		return lambda.Errorf(lambda.ENOTFOUND, "invocation %s not found", j.ID)
	}
	c := *j
	c.Payload, c.Response = old.Payload, append([]byte(nil), j.Response...)
	f.jobs[j.ID] = &c
	f.updates++
	return nil
}

func (f *fakeJobStore) FindJob(_ context.Context, id string) (*lambda.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[id]
	if !ok {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "invocation %s not found", id)
	}
	c := *j
	return &c, nil
}
