// Package async runs asynchronous invocations: a durable queue of jobs in a
// lambda.JobStore, dispatched per function through the lambda.Invoker, with
// retries, backoff, dead letters, destinations, redrive and retention.
package async

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// Defaults of a Queue's settings.
const (
	DefaultPruneInterval = time.Hour
	DefaultShutdownGrace = 10 * time.Second
	DefaultMinBackoff    = time.Second
	DefaultMaxBackoff    = 5 * time.Minute
	// storeRetryDelay spaces the dispatcher's retries when the store fails.
	storeRetryDelay = time.Second
	// writeTimeout bounds each write of an outcome, which outlives the
	// job's context: an attempt that ran must be recorded even while the
	// queue shuts down.
	writeTimeout = 10 * time.Second
)

// Queue implements lambda.AsyncService over a JobStore. Submit stores a
// job and wakes its function's dispatcher at once; a dispatcher exists per
// function with pending work and exits when there is none. Timers serve
// only retries and backoffs: new work is never found by polling.
type Queue struct {
	Clock  Clock
	Logger *slog.Logger
	// MaxQueued is each function's limit of pending jobs; past it Submit
	// fails with ETHROTTLED.
	MaxQueued int
	// Retention is how long ended jobs are kept; PruneInterval how often
	// they are pruned (and once at Open).
	Retention     time.Duration
	PruneInterval time.Duration
	// ShutdownGrace is how long Close lets running jobs finish before it
	// cancels them and queues them again, their attempt not consumed (0:
	// at once).
	ShutdownGrace time.Duration
	// MinBackoff and MaxBackoff bound the backoff after a throttle or a
	// platform error: MinBackoff doubling per failure in a row, jittered,
	// up to MaxBackoff.
	MinBackoff time.Duration
	MaxBackoff time.Duration

	// Lookup finds functions for submissions and dispatch rounds; nil
	// reads the function store every time (lambda.LookupStore). The
	// server sets the engine, which answers from memory.
	Lookup lambda.FunctionLookup
	// Qualifiers checks a submission's alias or version other than the
	// active one; nil refuses them (only live runs).
	Qualifiers lambda.QualifierChecker

	jobs      lambda.JobStore
	functions lambda.FunctionStore
	invoker   lambda.Invoker

	mu          sync.Mutex
	opened      bool
	closed      bool
	ctx         context.Context // dispatching; cancelled first by Close
	stop        context.CancelFunc
	runCtx      context.Context // running jobs; cancelled after the grace
	cancelRuns  context.CancelFunc
	dispatchers map[string]*dispatcher

	loops sync.WaitGroup // dispatchers and the pruner
	runs  sync.WaitGroup // running jobs
}

var _ lambda.AsyncService = (*Queue)(nil)

// New returns a queue with default settings on the real clock.
func New(jobs lambda.JobStore, functions lambda.FunctionStore, inv lambda.Invoker) *Queue {
	return &Queue{
		Clock:         SystemClock{},
		Logger:        slog.Default(),
		MaxQueued:     lambda.DefaultMaxQueued,
		Retention:     lambda.DefaultJobRetention,
		PruneInterval: DefaultPruneInterval,
		ShutdownGrace: DefaultShutdownGrace,
		MinBackoff:    DefaultMinBackoff,
		MaxBackoff:    DefaultMaxBackoff,
		jobs:          jobs,
		functions:     functions,
		invoker:       inv,
		dispatchers:   map[string]*dispatcher{},
	}
}

// Open queues again the jobs a stopped server left running, then starts a
// dispatcher for every function with pending jobs and the pruner.
func (q *Queue) Open(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.opened:
		return errors.New("async: queue is already open")
	case q.jobs == nil || q.functions == nil || q.invoker == nil:
		return errors.New("async: queue needs a job store, a function store and an invoker (use New)")
	}
	n, err := q.jobs.RequeueRunning(ctx, q.Clock.Now())
	if err != nil {
		return fmt.Errorf("async: requeue jobs left running: %w", err)
	}
	if n > 0 {
		q.Logger.Info("async jobs left running by the last server queued again", "jobs", n)
	}
	due, err := q.jobs.DueJobs(ctx)
	if err != nil {
		return fmt.Errorf("async: list pending jobs: %w", err)
	}
	// The loops outlive the call to Open: keep ctx's values, not its end.
	base := context.WithoutCancel(ctx)
	q.ctx, q.stop = context.WithCancel(base)
	q.runCtx, q.cancelRuns = context.WithCancel(base)
	q.opened = true
	for fn := range due {
		q.wakeLocked(fn)
	}
	q.loops.Add(1)
	go q.prune(q.ctx)
	return nil
}

// Close stops taking jobs, lets running ones finish within ShutdownGrace,
// then cancels the rest, which are queued again, and waits for every
// goroutine the queue started, or until ctx ends. Closing twice is fine.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.opened || q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	q.stop()
	q.mu.Unlock()

	if err := wait(ctx, &q.loops, 0); err != nil {
		q.cancelRuns()
		return fmt.Errorf("async: close: dispatchers still running: %w", err)
	}
	if q.ShutdownGrace > 0 {
		if err := wait(ctx, &q.runs, q.ShutdownGrace); err == nil {
			q.cancelRuns()
			return nil
		}
	}
	q.cancelRuns()
	if err := wait(ctx, &q.runs, 0); err != nil {
		return fmt.Errorf("async: close: jobs still running: %w", err)
	}
	return nil
}

// wait waits for wg until ctx ends or, when grace is set, grace passes.
func wait(ctx context.Context, wg *sync.WaitGroup, grace time.Duration) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	var timeout <-chan time.Time
	if grace > 0 {
		t := time.NewTimer(grace)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-done:
		return nil
	case <-timeout:
		return errors.New("grace period over")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// wake tells function's dispatcher that it may have work, starting one if
// there is none. It never blocks on the dispatcher.
func (q *Queue) wake(function string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.wakeLocked(function)
}

func (q *Queue) wakeLocked(function string) {
	if !q.opened || q.closed {
		return // Open starts a dispatcher for every function with work
	}
	d := q.dispatchers[function]
	if d == nil {
		d = newDispatcher(function)
		q.dispatchers[function] = d
		q.loops.Add(1)
		go q.dispatch(q.ctx, d)
	}
	d.woken = true
	select {
	case d.signal <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// lookup returns q.Lookup, or the function store read on every call.
func (q *Queue) lookup() lambda.FunctionLookup {
	if q.Lookup != nil {
		return q.Lookup
	}
	return lambda.LookupStore{Store: q.functions}
}

// FindJob returns the job with the given ID.
func (q *Queue) FindJob(ctx context.Context, id string) (*lambda.Job, error) {
	return q.jobs.FindJob(ctx, id)
}

// ListJobs lists jobs newest first.
func (q *Queue) ListJobs(ctx context.Context, f lambda.JobFilter) ([]*lambda.Job, error) {
	return q.jobs.ListJobs(ctx, f)
}

// Redrive queues dead jobs of function again, with fresh attempts and the
// same IDs, and wakes the function's dispatcher.
func (q *Queue) Redrive(ctx context.Context, function string, ids []string) ([]*lambda.Job, error) {
	jobs, err := q.jobs.RedriveJobs(ctx, function, ids, q.Clock.Now(), q.MaxQueued)
	if err != nil {
		return nil, err
	}
	if len(jobs) > 0 {
		q.wake(function)
	}
	return jobs, nil
}

// writeContext returns the context of a write that must happen even when
// ctx was cancelled (the queue is closing), bounded by writeTimeout.
func writeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
}
