package http

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// fakeAsync is an in-memory lambda.AsyncService that records what reached
// it, so that tests can assert that a refused call queued nothing.
type fakeAsync struct {
	mu        sync.Mutex
	submitted []*lambda.InvokeRequest // every Submit call
	jobs      []*lambda.Job           // oldest first
	redriven  [][]string              // every Redrive call's ids
	full      map[string]bool         // functions whose queue is full
	clock     time.Time
}

func newFakeAsync() *fakeAsync {
	return &fakeAsync{full: map[string]bool{}, clock: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
}

func (f *fakeAsync) Submit(_ context.Context, req *lambda.InvokeRequest) (*lambda.Job, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submitted = append(f.submitted, req)
	if req.IdempotencyKey != "" {
		for _, j := range f.jobs {
			if j.Function == req.Function && j.IdempotencyKey == req.IdempotencyKey {
				if !bytes.Equal(j.Payload, req.Payload) {
					return nil, false, lambda.Errorf(lambda.EIDEMPOTENCY, "idempotency key %q was used with another payload", req.IdempotencyKey)
				}
				c := *j
				return &c, false, nil
			}
		}
	}
	if f.full[req.Function] {
		return nil, false, lambda.Errorf(lambda.ETHROTTLED, "function %q has %d queued invocations", req.Function, lambda.DefaultMaxQueued)
	}
	j := f.addLocked(req.Function, lambda.StatusQueued)
	j.Trigger, j.Payload, j.IdempotencyKey, j.Qualifier, j.Timeout = req.Trigger, req.Payload, req.IdempotencyKey, req.Qualifier, lambda.Duration(req.Timeout)
	c := *j
	return &c, true, nil
}

// add stores a job of function with status, one second newer than the
// last one.
func (f *fakeAsync) add(function, status string) *lambda.Job {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addLocked(function, status)
}

func (f *fakeAsync) addLocked(function, status string) *lambda.Job {
	f.clock = f.clock.Add(time.Second)
	j := &lambda.Job{
		ID: fmt.Sprintf("job-%d", len(f.jobs)+1), Function: function, Trigger: lambda.TriggerAsync, Status: status,
		Payload: []byte(`{"n":1}`), CreatedAt: f.clock, NextRunAt: f.clock,
	}
	if status == lambda.StatusDead {
		j.Attempts, j.Response = 3, []byte(`{"errorMessage":"boom"}`)
	}
	f.jobs = append(f.jobs, j)
	return j
}

func (f *fakeAsync) FindJob(_ context.Context, id string) (*lambda.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, j := range f.jobs {
		if j.ID == id {
			c := *j
			return &c, nil
		}
	}
	return nil, lambda.Errorf(lambda.ENOTFOUND, "job %q not found", id)
}

func (f *fakeAsync) ListJobs(_ context.Context, flt lambda.JobFilter) ([]*lambda.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*lambda.Job
	for i, j := range slices.Backward(f.jobs) {
		c := *j
		c.Seq = int64(i + 1)
		switch {
		case flt.Function != "" && j.Function != flt.Function,
			flt.Status != "" && j.Status != flt.Status,
			!flt.Since.IsZero() && j.CreatedAt.Before(flt.Since),
			!flt.Before.IsZero() && !j.CreatedAt.Before(flt.Before),
			flt.After != nil && !flt.After.Follows(&c):
			continue
		}
		out = append(out, &c)
		if len(out) == flt.Limit {
			break
		}
	}
	return out, nil
}

func (f *fakeAsync) Redrive(_ context.Context, function string, ids []string) ([]*lambda.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.redriven = append(f.redriven, ids)
	var out []*lambda.Job
	for _, j := range f.jobs {
		if j.Function != function || j.Status != lambda.StatusDead || (len(ids) > 0 && !slices.Contains(ids, j.ID)) {
			continue
		}
		j.Status, j.Attempts = lambda.StatusQueued, 0
		c := *j
		out = append(out, &c)
	}
	return out, nil
}

// counts returns how many submissions and redrives reached the service.
func (f *fakeAsync) counts() (submitted, redriven int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.submitted), len(f.redriven)
}

func (f *fakeAsync) lastSubmitted() *lambda.InvokeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.submitted) == 0 {
		return nil
	}
	return f.submitted[len(f.submitted)-1]
}
