package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/bench"
)

// benchJobWait bounds each wait of the bench for jobs: a no-op function's
// jobs end in milliseconds, but a throttled one is retried with backoff.
const benchJobWait = 2 * time.Minute

// benchIdlePoll is how often WaitIdle reads the job counts while a round's
// jobs run. Its reads count in job_cpu_us though they are the bench's, not
// the jobs' (at every 10 ms, 2 % of the async phase's samples),
// and a round's time runs to its last job's finished_at, whatever the
// polling's granularity.
const benchIdlePoll = 50 * time.Millisecond

// benchFirstLook is when the bench first reads a job it is timing: after
// the dispatch it measures, so that its reads do not compete with it.
const benchFirstLook = 20 * time.Millisecond

var _ bench.Queue = (*benchPlatform)(nil)

// apiEndpoints are the API routes that submit asynchronous invocations of
// function and invoke it synchronously, with the admin key the server
// created at its first start.
func (p *benchPlatform) apiEndpoints(function string) (submit, invoke bench.Endpoint, err error) {
	b, err := os.ReadFile(filepath.Join(p.dir, adminKeyFile))
	if err != nil {
		return submit, invoke, fmt.Errorf("read the bench server's admin key: %w", err)
	}
	base := "http://127.0.0.1:" + strconv.Itoa(p.srv.Port()) + "/v1/functions/" + function
	auth := http.Header{"Authorization": {"Bearer " + strings.TrimSpace(string(b))}}
	return bench.Endpoint{URL: base + "/invocations", Header: auth}, bench.Endpoint{URL: base + "/invoke", Header: auth}, nil
}

// JobResponse implements bench.Queue from the job store.
func (p *benchPlatform) JobResponse(ctx context.Context, id string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, benchJobWait)
	defer cancel()
	for wait := benchFirstLook; ; wait = benchPoll {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("invocation %s did not end: %w", id, ctx.Err())
		case <-time.After(wait):
		}
		j, err := p.jobs.FindJob(ctx, id)
		if err != nil {
			return nil, err
		}
		if j.Pending() {
			continue
		}
		if j.Status != lambda.StatusSucceeded {
			return nil, fmt.Errorf("invocation %s of %s ended %s: %s %s", id, j.Function, j.Status, j.ErrorType, j.ErrorMessage)
		}
		return j.Response, nil
	}
}

// WaitIdle implements bench.Queue: it polls the job counts (a table the
// store keeps up to date) until none of the http function's is pending.
func (p *benchPlatform) WaitIdle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, benchJobWait)
	defer cancel()
	for {
		counts, err := p.jobs.CountJobs(ctx)
		if err != nil {
			return err
		}
		c := counts[p.httpFn]
		pending := c[lambda.StatusQueued] + c[lambda.StatusRunning] + c[lambda.StatusRetrying]
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d jobs of %s still pending: %w", pending, p.httpFn, ctx.Err())
		case <-time.After(benchIdlePoll):
		}
	}
}

// SumJobs implements bench.Queue: it reads every job of the http function
// created at or after since, for when each ended, a page at a time, each
// after the last one's cursor (jobs may share a creation time).
func (p *benchPlatform) SumJobs(ctx context.Context, since time.Time) (bench.Jobs, error) {
	var out bench.Jobs
	seen := map[string]bool{}
	f := lambda.JobFilter{Function: p.httpFn, Since: since, Limit: lambda.MaxJobListLimit}
	for {
		page, err := p.jobs.ListJobs(ctx, f)
		if err != nil {
			return out, err
		}
		added := 0
		for _, j := range page {
			if seen[j.ID] {
				continue
			}
			seen[j.ID] = true
			added++
			if j.Pending() {
				continue // submitted after the wait: not this round's
			}
			out.Ended++
			if j.Status == lambda.StatusSucceeded {
				out.Succeeded++
			}
			if j.FinishedAt != nil && j.FinishedAt.After(out.LastEnd) {
				out.LastEnd = *j.FinishedAt
			}
		}
		if len(page) < f.Limit || added == 0 {
			return out, nil
		}
		f.After = lambda.CursorAfter(page[len(page)-1])
	}
}
