package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// ClockEvent is the event the http bench function answers with the
// wall-clock time, in Unix nanoseconds, at which it received it (see
// functions/http). Containers share the host's clock, so that time and the
// bench's own clock can be compared.
var ClockEvent = []byte(`{"clock":true}`)

// noopEvent is the event of the throughput rounds: the function answers
// it with its no-op body, as it answers a synchronous request.
var noopEvent = []byte(`{}`)

// Queue is the platform's queue of asynchronous invocations of the http
// bench function, read between measurements (and while the bench waits
// for jobs to end), never through the path it measures.
type Queue interface {
	// JobResponse waits until job id has ended and returns the function's
	// response; an error when the job did not succeed.
	JobResponse(ctx context.Context, id string) ([]byte, error)
	// Committed returns when job id's commit was acknowledged: the store
	// had stored it, the queue had not yet run it, its 202 was not yet
	// written. The instant dispatch runs from; this process's clock.
	Committed(id string) (time.Time, error)
	// WaitIdle waits until the http bench function has no pending job.
	WaitIdle(ctx context.Context) error
	// SumJobs sums up the http bench function's jobs created at or after
	// since.
	SumJobs(ctx context.Context, since time.Time) (Jobs, error)
}

// Jobs sums up the jobs of a round once none is pending.
type Jobs struct {
	Ended     int
	Succeeded int
	LastEnd   time.Time // when the last of them ended
}

// Async measures asynchronous invocations of the http bench function
// through the server's API (POST /v1/functions/NAME/invocations, answered
// 202 once the job is committed).
type Async struct {
	// EnqueuePerS is the rate of 202s to Concurrency clients submitting
	// at once, the queue dispatching meanwhile; EnqueueP50Ms and
	// EnqueueP99Ms the time of one submission under that load.
	EnqueuePerS  float64 `json:"enqueue_per_s"`
	EnqueueP50Ms float64 `json:"enqueue_p50_ms"`
	EnqueueP99Ms float64 `json:"enqueue_p99_ms"`
	Enqueued     int     `json:"enqueued"` // submissions measured
	// DispatchP50Ms and DispatchP99Ms run from the job's commit (the
	// store's acknowledgement, Queue.Committed) to the function receiving
	// the event (its own clock reading), one event at a time on an idle
	// queue. Not from the 202: the server dispatches as soon as the job
	// is committed, while it writes the 202, so the function may receive
	// the event before the bench reads its 202. SubmitToRunP50Ms runs
	// from the request sent, the API's work before the commit included.
	DispatchP50Ms    float64 `json:"dispatch_p50_ms"`
	DispatchP99Ms    float64 `json:"dispatch_p99_ms"`
	SubmitToRunP50Ms float64 `json:"submit_to_run_p50_ms"`
	DispatchSamples  int     `json:"dispatch_samples"`
	// SyncRPS is the function's synchronous throughput through the
	// gateway at Concurrency, AsyncPerS its jobs completed per second from
	// the first submission of a round to the end of its last job, and
	// ThroughputRatio AsyncPerS / SyncRPS, in interleaved rounds.
	SyncRPS         float64 `json:"sync_rps"`
	AsyncPerS       float64 `json:"async_per_s"`
	ThroughputRatio float64 `json:"throughput_ratio"`
	// SyncAPIRPS is the synchronous throughput through the invoke API
	// (POST /v1/functions/NAME/invoke, the same key and invoker as the
	// async path, no queue), a third interleaved variant; APIRatio is
	// AsyncPerS / SyncAPIRPS: what the queue itself costs.
	SyncAPIRPS float64 `json:"sync_api_rps"`
	APIRatio   float64 `json:"api_ratio"`
	// SyncCPUUs and JobCPUUs are the CPU time of this process (the
	// server under test and the load generator, not the function) per
	// synchronous request and per completed job in those rounds: on a
	// CPU-bound machine their ratio predicts ThroughputRatio.
	SyncCPUUs    float64 `json:"sync_cpu_us"`
	JobCPUUs     float64 `json:"job_cpu_us"`
	JobsPerRound int     `json:"jobs_per_round"`
	Concurrency  int     `json:"concurrency"`
	Rounds       int     `json:"rounds"`
	Errors       int     `json:"errors"`      // failed submissions and synchronous requests
	FailedJobs   int     `json:"failed_jobs"` // jobs that ended other than succeeded
}

// async measures the queue: the dispatch latency first, while it is idle,
// then the throughput rounds, which also measure the enqueue rate.
func (r *Runner) async(ctx context.Context, rep *Report) error {
	p := r.Plan
	if r.Queue == nil {
		return errors.New("the bench has no queue of asynchronous invocations to read")
	}
	if _, err := r.Platform.WarmInstance(ctx, p.Concurrency); err != nil {
		return err
	}
	tr := NewTransport(2 * p.Concurrency)
	defer tr.CloseIdleConnections()
	a := &rep.Async
	a.Concurrency, a.Rounds, a.JobsPerRound = p.Concurrency, p.AsyncRounds, p.AsyncJobs

	r.logf("async: warming up with %d events at concurrency %d", p.AsyncWarmupJobs, p.Concurrency)
	if _, err := r.asyncRound(ctx, tr, p.AsyncWarmupJobs); err != nil {
		return err
	}

	r.logf("async: dispatch latency (commit → function), %d events one at a time on an idle queue", p.DispatchSamples)
	dispatch, total := NewRecorder(p.DispatchSamples), NewRecorder(p.DispatchSamples)
	for range p.DispatchSamples {
		d, t, err := r.dispatchSample(ctx, tr)
		if err != nil {
			return err
		}
		dispatch.Record(d)
		total.Record(t)
	}
	a.DispatchSamples = dispatch.Count()
	a.DispatchP50Ms, a.DispatchP99Ms = Millis(dispatch.Percentile(50)), Millis(dispatch.Percentile(99))
	a.SubmitToRunP50Ms = Millis(total.Percentile(50))

	var syncTotal, apiTotal, enqueued, completed rate
	var syncCPU, asyncCPU time.Duration
	submitLat := NewRecorder(p.AsyncRounds * p.AsyncJobs)
	syncRound := func(ctx context.Context, _ int) error {
		load := Load{Loop: Loop{Concurrency: p.Concurrency, Duration: p.RPSDuration}, Transport: tr}
		cpu := processCPU()
		res, err := load.Run(ctx, r.HTTP)
		syncCPU += processCPU() - cpu
		syncTotal.add(res)
		a.Errors += res.Failed
		return err
	}
	invoke := r.Invoke
	invoke.Body = noopEvent
	apiRound := func(ctx context.Context, _ int) error {
		load := Load{Loop: Loop{Concurrency: p.Concurrency, Duration: p.RPSDuration}, Transport: tr}
		res, err := load.Run(ctx, invoke)
		apiTotal.add(res)
		a.Errors += res.Failed
		return err
	}
	asyncRound := func(ctx context.Context, _ int) error {
		cpu := processCPU()
		res, err := r.asyncRound(ctx, tr, p.AsyncJobs)
		asyncCPU += processCPU() - cpu - res.sumCPU
		enqueued.add(res.submit)
		submitLat.Merge(res.submit.Latency)
		completed.ok += res.jobs.Succeeded
		completed.elapsed += res.completion
		a.Errors += res.submit.Failed
		a.FailedJobs += res.jobs.Ended - res.jobs.Succeeded
		return err
	}
	r.logf("async: %d rounds of %s of synchronous requests (gateway, then invoke API) and %d events, concurrency %d", p.AsyncRounds, p.RPSDuration, p.AsyncJobs, p.Concurrency)
	if err := Interleave(ctx, p.AsyncRounds, syncRound, apiRound, asyncRound); err != nil {
		return err
	}
	a.Enqueued = enqueued.ok
	a.EnqueuePerS = round(enqueued.rps(), 1)
	a.EnqueueP50Ms, a.EnqueueP99Ms = Millis(submitLat.Percentile(50)), Millis(submitLat.Percentile(99))
	a.SyncRPS, a.AsyncPerS = round(syncTotal.rps(), 1), round(completed.rps(), 1)
	a.ThroughputRatio = ratio(completed.rps(), syncTotal.rps())
	a.SyncAPIRPS, a.APIRatio = round(apiTotal.rps(), 1), ratio(completed.rps(), apiTotal.rps())
	a.SyncCPUUs, a.JobCPUUs = perOp(syncCPU, syncTotal.ok), perOp(asyncCPU, completed.ok)
	return nil
}

// asyncResult is one round of submissions and the jobs they queued.
type asyncResult struct {
	submit     Result
	jobs       Jobs
	completion time.Duration // from the first submission to the last job's end
	// sumCPU is the CPU time of reading the round's jobs back once they
	// ended: the bench's check, not the jobs' cost (the synchronous
	// rounds read nothing back), so it is left out of JobCPUUs.
	sumCPU time.Duration
}

// asyncRound submits n no-op events with Concurrency clients and waits
// until every job has ended. Every acknowledged job must have ended: a
// missing one was lost.
func (r *Runner) asyncRound(ctx context.Context, tr http.RoundTripper, n int) (asyncResult, error) {
	var out asyncResult
	submit := r.Async
	submit.Body = noopEvent
	since := time.Now()
	load := Load{Loop: Loop{Concurrency: r.Plan.Concurrency, Requests: n}, Transport: tr, Check: accepted}
	res, err := load.Run(ctx, submit)
	out.submit = res
	if err != nil {
		return out, err
	}
	if err := r.Queue.WaitIdle(ctx); err != nil {
		return out, err
	}
	cpu := processCPU()
	out.jobs, err = r.Queue.SumJobs(ctx, since)
	out.sumCPU = processCPU() - cpu
	if err != nil {
		return out, err
	}
	if out.jobs.Ended < res.OK {
		return out, fmt.Errorf("%d events were accepted (202) but only %d jobs ended", res.OK, out.jobs.Ended)
	}
	out.completion = out.jobs.LastEnd.Sub(since)
	if out.completion <= 0 {
		return out, fmt.Errorf("the last job ended at %s, before the round began at %s", out.jobs.LastEnd.Format(time.RFC3339Nano), since.Format(time.RFC3339Nano))
	}
	return out, nil
}

// accepted checks the answer to a submission.
func accepted(status int, body []byte) error {
	if status != http.StatusAccepted {
		return fmt.Errorf("status %d, want 202: %.200s", status, body)
	}
	return nil
}

// dispatchSample submits ClockEvent and returns the time from the job's
// commit to the function's reception of the event, and from the request's
// start to that reception. Wall clocks on both sides: the function runs
// on the same host.
//
// A sample out of order is an error, not a figure: a negative time, or
// one clamped to 0 or dropped, would pass a wrong clock or a wrong commit
// record off as a fast dispatch (or bias the percentiles). The commit
// must lie between the request sent and its 202 received, and the
// function cannot receive the event before its commit: the queue runs
// a job only once the store has acknowledged it.
func (r *Runner) dispatchSample(ctx context.Context, tr http.RoundTripper) (dispatch, total time.Duration, err error) {
	e := r.Async
	e.Body = ClockEvent
	req, err := e.newRequest(ctx)
	if err != nil {
		return 0, 0, err
	}
	sent := time.Now()
	resp, err := tr.RoundTrip(req.prepare())
	acked := time.Now()
	if err != nil {
		return 0, 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, 0, err
	}
	if err := accepted(resp.StatusCode, body); err != nil {
		return 0, 0, err
	}
	var job struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &job); err != nil || job.ID == "" {
		return 0, 0, fmt.Errorf("the 202 carries no invocation ID: %.200s", body)
	}
	answer, err := r.Queue.JobResponse(ctx, job.ID)
	if err != nil {
		return 0, 0, err
	}
	received, err := parseClock(answer)
	if err != nil {
		return 0, 0, fmt.Errorf("invocation %s: %w", job.ID, err)
	}
	if received.Before(sent) {
		// Only a function on another host's clock (a remote Docker) can
		// receive an event before it was sent.
		return 0, 0, fmt.Errorf("invocation %s: the function received the event %s before the bench sent it: its clock is not the bench's (is Docker on another host?)", job.ID, sent.Sub(received))
	}
	committed, err := r.Queue.Committed(job.ID)
	if err != nil {
		return 0, 0, err
	}
	// Monotonic readings of this process's clock: only a wrong record
	// can fail this.
	if committed.Before(sent) || committed.After(acked) {
		return 0, 0, fmt.Errorf("invocation %s: its commit at %s is not between the request sent at %s and its 202 at %s: the bench's record of commits is wrong", job.ID, committed.Format(time.RFC3339Nano), sent.Format(time.RFC3339Nano), acked.Format(time.RFC3339Nano))
	}
	if received.Before(committed) {
		return 0, 0, fmt.Errorf("invocation %s: the function received the event %s before its commit: the clock moved (a step of the wall clock) or the commit was recorded late", job.ID, committed.Sub(received))
	}
	return received.Sub(committed), received.Sub(sent), nil
}

// perOp is cpu per operation in microseconds, 0 without operations.
func perOp(cpu time.Duration, ops int) float64 {
	if ops == 0 {
		return 0
	}
	return round(float64(cpu)/float64(time.Microsecond)/float64(ops), 1)
}

// parseClock reads the http bench function's answer to ClockEvent.
func parseClock(answer []byte) (time.Time, error) {
	ns, err := strconv.ParseInt(string(bytes.TrimSpace(answer)), 10, 64)
	if err != nil || ns <= 0 {
		return time.Time{}, fmt.Errorf("the function answered %.100q, not the time it received the event", answer)
	}
	return time.Unix(0, ns), nil
}
