package async

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// deletedBatch is how many jobs of a deleted function a round ends.
const deletedBatch = 100

// dispatcher takes one function's jobs in order and runs them, at most its
// async concurrency at once.
type dispatcher struct {
	function string
	signal   chan struct{} // buffered 1: a wake-up is pending
	woken    bool          // guarded by Queue.mu: woken since the round began

	mu      sync.Mutex
	running int // jobs holding a slot: claimed, not yet done with the function
	// active counts jobs from their claim until their outcome is written:
	// the dispatcher stays while one is active, for the job may need it
	// again (a retry) and the backoff state lives here.
	active    int
	holdUntil time.Time // throttled or failing platform: no job before it
	streak    int       // throttles and platform errors in a row
	// full: the last round found as many due jobs as it had slots (or
	// none free), so more may be due and a slot that frees wakes the
	// dispatcher. Otherwise every due job was taken, and only a new one
	// (a wake) or a timer brings work: a job ending needs no round.
	full bool
}

func newDispatcher(function string) *dispatcher {
	return &dispatcher{function: function, signal: make(chan struct{}, 1), full: true}
}

// dispatch runs rounds until the function has no pending job and none
// running, or ctx ends. Between rounds it sleeps until woken (a job was
// submitted, redriven or ended) or until the next job comes due.
func (q *Queue) dispatch(ctx context.Context, d *dispatcher) {
	defer q.loops.Done()
	for {
		q.mu.Lock()
		d.woken = false
		select {
		case <-d.signal: // this round covers a wake-up before it
		default:
		}
		q.mu.Unlock()

		next, idle, err := q.round(ctx, d)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			q.Logger.Error("async dispatch failed; retrying", "function", d.function, "err", err)
			next = q.Clock.Now().Add(storeRetryDelay)
		} else if idle {
			q.mu.Lock()
			if !d.woken {
				delete(q.dispatchers, d.function)
				q.mu.Unlock()
				return
			}
			q.mu.Unlock()
			continue
		}
		var timer Timer
		var fired <-chan time.Time
		if !next.IsZero() {
			timer = q.Clock.TimerAt(next)
			fired = timer.C()
		}
		select {
		case <-ctx.Done():
		case <-d.signal:
		case <-fired:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// round claims and starts the jobs the function may run now. It returns
// when the next round is due without a wake-up (zero: only a wake-up),
// and idle when the function has nothing pending or running.
func (q *Queue) round(ctx context.Context, d *dispatcher) (next time.Time, idle bool, err error) {
	fn, err := q.lookup().LookupFunction(ctx, d.function)
	if lambda.ErrorCode(err) == lambda.ENOTFOUND {
		return q.endDeleted(ctx, d)
	}
	if err != nil {
		return time.Time{}, false, err
	}
	s := fn.Scaling
	limit := asyncLimit(s)

	now := q.Clock.Now()
	// The free slots are taken before the claim, so that a submission
	// meanwhile (reserve) cannot take one of them too.
	d.mu.Lock()
	hold, free := d.holdUntil, limit-d.running
	if now.Before(hold) {
		d.mu.Unlock()
		return hold, false, nil
	}
	free = max(free, 0)
	d.running += free
	d.active += free
	d.mu.Unlock()
	if free == 0 {
		d.mu.Lock()
		d.full = true
		d.mu.Unlock()
	}
	if free > 0 {
		jobs, err := q.jobs.ClaimJobs(ctx, d.function, now, free)
		d.release(free - len(jobs))
		if err != nil {
			return time.Time{}, false, err
		}
		d.mu.Lock()
		d.full = len(jobs) == free
		d.mu.Unlock()
		for _, j := range jobs {
			q.start(d, j, s)
		}
		if len(jobs) == free {
			return time.Time{}, false, nil // full: the next ending job wakes us
		}
	}
	due, err := q.jobs.DueJobs(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	d.mu.Lock()
	active := d.active
	d.mu.Unlock()
	at, pending := due[d.function]
	switch {
	case !pending:
		return time.Time{}, active == 0, nil
	case at.After(now):
		return at, false, nil
	case active > 0:
		return time.Time{}, false, nil // a job ending frees a slot or its schedule
	default:
		// Due but not claimable with nothing of ours running: another
		// queue on the same store runs its schedule's job. Look again.
		return now.Add(storeRetryDelay), false, nil
	}
}

// asyncLimit is how many of a function's jobs may run at once under its
// effective scaling s.
func asyncLimit(s lambda.Scaling) int {
	limit := s.AsyncConcurrency
	if s.Reserved != nil && *s.Reserved > 0 {
		limit = min(limit, *s.Reserved)
	}
	return max(limit, 1)
}

// release gives back n slots taken and not used.
func (d *dispatcher) release(n int) {
	if n <= 0 {
		return
	}
	d.mu.Lock()
	d.running -= n
	d.active -= n
	d.mu.Unlock()
}

// reserve takes a slot of function's dispatcher for a submission that
// may run at once (NewJob.Start), or returns nil: no dispatcher (the
// function was idle: the submission starts one, which claims), no free
// slot, a backoff in force, or the queue is not open. The slot counts as
// a running job, so the dispatcher stays; and as a run of the queue, so
// that Close waits for it.
func (q *Queue) reserve(function string, s lambda.Scaling) *dispatcher {
	q.mu.Lock()
	defer q.mu.Unlock()
	d := q.dispatchers[function]
	if !q.opened || q.closed || d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.running >= asyncLimit(s) || q.Clock.Now().Before(d.holdUntil) {
		return nil
	}
	d.running++
	d.active++
	d.woken = true // a round that found nothing must not end the dispatcher
	q.runs.Add(1)
	return d
}

// unreserve gives back a slot reserve took that no job used.
func (q *Queue) unreserve(d *dispatcher) {
	d.release(1)
	q.runs.Done()
}

// start runs j, claimed on a slot the round took, in its own goroutine.
func (q *Queue) start(d *dispatcher, j *lambda.Job, s lambda.Scaling) {
	q.runs.Add(1)
	q.launch(d, j, s)
}

// launch runs j on a slot already taken, in its own goroutine, tracked by
// q.runs (already counted).
func (q *Queue) launch(d *dispatcher, j *lambda.Job, s lambda.Scaling) {
	go func() {
		defer q.runs.Done()
		var once sync.Once
		release := func() {
			once.Do(func() {
				d.mu.Lock()
				d.running--
				full := d.full
				d.mu.Unlock()
				if full {
					q.wake(d.function)
				}
			})
		}
		q.run(q.runCtx, d, j, s, release)
		release()
		d.mu.Lock()
		d.active--
		idle := d.active == 0
		d.mu.Unlock()
		// A job waiting again needs a round to be timed; once written, a
		// job no longer holds back its schedule's next; an idle
		// dispatcher's round lets it end.
		if idle || j.Pending() || j.Schedule != "" {
			q.wake(d.function)
		}
	}()
}

// endDeleted ends the jobs of a function deleted while they waited: each
// is dead, its function gone.
func (q *Queue) endDeleted(ctx context.Context, d *dispatcher) (time.Time, bool, error) {
	jobs, err := q.jobs.ClaimJobs(ctx, d.function, q.Clock.Now(), deletedBatch)
	if err != nil {
		return time.Time{}, false, err
	}
	for _, j := range jobs {
		now := q.Clock.Now()
		j.Status, j.FinishedAt = lambda.StatusDead, &now
		j.ErrorType = lambda.ENOTFOUND
		j.ErrorMessage = "function " + d.function + " was deleted before the job ran"
		q.write(ctx, j)
	}
	if len(jobs) == deletedBatch {
		return time.Time{}, false, nil
	}
	d.mu.Lock()
	active := d.active
	d.mu.Unlock()
	due, err := q.jobs.DueJobs(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	at, pending := due[d.function]
	if pending {
		return at, false, nil
	}
	return time.Time{}, active == 0, nil
}

// throttled records a throttle or platform error and holds the function's
// jobs back: it returns when the failed job may run again.
func (q *Queue) throttled(d *dispatcher, now time.Time) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.streak++
	b := backoff(q.MinBackoff, q.MaxBackoff, d.streak)
	at := now.Add(b)
	if at.After(d.holdUntil) {
		d.holdUntil = at
	}
	return at
}

// answered records that the function answered: the hold ends.
func (d *dispatcher) answered() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.streak, d.holdUntil = 0, time.Time{}
}

// backoff returns the delay after the n-th failure in a row: lo doubled
// per failure, capped at hi, with "equal jitter" (half fixed, half random)
// so that the jobs held back together do not all come back at once.
func backoff(lo, hi time.Duration, n int) time.Duration {
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(d-half+1)
}
