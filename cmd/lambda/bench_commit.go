package main

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/bench"
)

// commitRecord is the bench server's queue's job store: it notes when the
// store returned each created job of a dispatch sample (bench.ClockEvent),
// the acknowledgement of its commit. The queue runs a job only after
// that return, and the API writes its 202 after it too, so dispatch is
// timed from the commit without a hook in the server's own path. The job
// record has no such instant: its CreatedAt is taken before the insert.
type commitRecord struct {
	lambda.JobStore

	mu sync.Mutex
	at map[string]time.Time // by job ID, until read
}

func newCommitRecord() *commitRecord {
	return &commitRecord{at: map[string]time.Time{}}
}

// wrap puts the record in front of the queue's store (platformOptions'
// queueJobs).
func (c *commitRecord) wrap(s lambda.JobStore) lambda.JobStore {
	c.JobStore = s
	return c
}

// CreateJob implements lambda.JobStore. Only dispatch samples are noted:
// the throughput rounds' events pay a comparison, not a lock.
func (c *commitRecord) CreateJob(ctx context.Context, n lambda.NewJob) (*lambda.Job, bool, error) {
	job, created, err := c.JobStore.CreateJob(ctx, n)
	if err != nil || !created || !bytes.Equal(n.Job.Payload, bench.ClockEvent) {
		return job, created, err
	}
	now := time.Now()
	c.mu.Lock()
	c.at[job.ID] = now
	c.mu.Unlock()
	return job, created, err
}

// Committed implements bench.Queue: it returns, once, when the store
// acknowledged job id's commit.
func (p *benchPlatform) Committed(id string) (time.Time, error) {
	c := p.commits
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.at[id]
	if !ok {
		return time.Time{}, fmt.Errorf("the bench recorded no commit of invocation %s (not a dispatch sample, or not created through the queue)", id)
	}
	delete(c.at, id)
	return t, nil
}
