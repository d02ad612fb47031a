package async

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lambdahq/lambda"
)

// Conditions of a destination record, as Lambda names them.
const (
	conditionSuccess          = "Success"
	conditionRetriesExhausted = "RetriesExhausted"
	conditionEventAgeExceeded = "EventAgeExceeded"
)

// Outcomes of an attempt.
const (
	succeeded = iota
	functionFailed
	permanent // retrying cannot help
	transient // throttled or the platform failed: no try consumed
)

// classify returns the outcome of an attempt that got res and err.
func classify(res *lambda.InvokeResult, err error) int {
	switch code := lambda.ErrorCode(err); {
	case err == nil && !res.Failed():
		return succeeded
	case err == nil || code == lambda.EFUNCTION || code == lambda.EOUTOFMEMORY || code == lambda.ETIMEOUT:
		return functionFailed
	case code == lambda.ENOTFOUND || code == lambda.EINVALID || code == lambda.ETOOLARGE:
		// The function is gone, or the job no longer fits it (its
		// version was replaced, its event is too big).
		return permanent
	default:
		return transient
	}
}

// run runs one attempt of a claimed job and records its outcome. s is the
// function's effective scaling when the job was claimed. release frees the
// job's slot: it is called once the function is done with the job and
// before the outcome is written, so that the next claim and this write
// share a commit.
func (q *Queue) run(ctx context.Context, d *dispatcher, j *lambda.Job, s lambda.Scaling, release func()) {
	now := q.Clock.Now()
	if j.StartedAt == nil {
		j.StartedAt = &now
	}
	if deadline := j.CreatedAt.Add(time.Duration(s.MaxEventAge)); now.After(deadline) {
		release()
		j.ErrorType = lambda.ETIMEOUT
		j.ErrorMessage = fmt.Sprintf("the event was older than the function's maximum event age (%s) when its turn came: it did not run", s.MaxEventAge)
		q.die(ctx, j, s, conditionEventAgeExceeded, now)
		return
	}
	if j.Attempts > *s.MaxRetries {
		// Its tries went to attempts the server did not survive
		// (lambda.Job.Interrupted): a job that kills the server must not
		// run forever. Its error says so already.
		release()
		q.die(ctx, j, s, conditionRetriesExhausted, now)
		return
	}
	trigger := lambda.TriggerAsync
	if j.Trigger == lambda.TriggerCron {
		trigger = lambda.TriggerCron
	}
	req := &lambda.InvokeRequest{
		Function:  j.Function,
		Qualifier: j.Qualifier,
		Payload:   j.Payload,
		Trigger:   trigger,
		RequestID: j.ID,
		Timeout:   time.Duration(j.Timeout),
		LogTail:   true,
		Attempt:   j.Attempts + 1,
		QueueWait: max(now.Sub(j.NextRunAt), 0),
		Trace:     attemptTrace(j),
	}
	res, err := q.invoker.Invoke(ctx, req)
	end := q.Clock.Now()
	if err != nil && ctx.Err() != nil {
		release()
		q.requeue(ctx, j, end)
		return
	}
	if err == nil && res == nil {
		err = lambda.Errorf(lambda.EINTERNAL, "the invoker returned neither a result nor an error")
	}
	a := attempt(res, err, now, end)
	a.TraceID = attemptTraceID(req, res)
	outcomeKind := classify(res, err)
	var retryAt time.Time
	deadline := j.CreatedAt.Add(time.Duration(s.MaxEventAge))
	if outcomeKind == transient {
		retryAt = q.throttled(d, end) // the hold is in place before the slot frees
		if retryAt.After(deadline) && end.Before(deadline) {
			// A backoff past the event's age would waste the time left:
			// the job gets a last try at its deadline.
			retryAt = deadline
			d.holdAtMost(deadline)
		}
	} else {
		d.answered()
	}
	release()

	switch outcomeKind {
	case succeeded:
		j.Attempts++
		a.Attempt, a.Counted, a.Status = j.Attempts, true, lambda.StatusSucceeded
		outcome(j, res, err, a)
		j.Status, j.FinishedAt = lambda.StatusSucceeded, &end
		appendAttempt(j, a)
		q.destination(ctx, s.OnSuccess, j, conditionSuccess, end)
		q.write(ctx, j)

	case functionFailed:
		j.Attempts++
		a.Attempt, a.Counted = j.Attempts, true
		outcome(j, res, err, a)
		appendAttempt(j, a)
		retryAt := end.Add(time.Duration(s.RetryDelay) << (j.Attempts - 1))
		switch {
		case j.Attempts > *s.MaxRetries:
			q.die(ctx, j, s, conditionRetriesExhausted, end)
		case retryAt.After(deadline):
			q.die(ctx, j, s, conditionEventAgeExceeded, end)
		default:
			j.Status, j.NextRunAt = lambda.StatusRetrying, retryAt
			q.write(ctx, j)
		}

	case permanent:
		a.Attempt = j.Attempts
		outcome(j, res, err, a)
		appendAttempt(j, a)
		q.die(ctx, j, s, conditionRetriesExhausted, end)

	case transient:
		// The function did not run, so no try is consumed; the function's
		// jobs wait out a backoff.
		a.Attempt = j.Attempts
		appendAttempt(j, a)
		j.ErrorType, j.ErrorMessage = lambda.ErrorCode(err), lambda.ErrorMessage(err)
		if retryAt.After(deadline) {
			q.die(ctx, j, s, conditionEventAgeExceeded, end)
			return
		}
		j.Status, j.NextRunAt = lambda.StatusRetrying, retryAt
		q.write(ctx, j)
	}
}

// holdAtMost shortens the function's hold to end by at, so that a job
// whose last try is due then is not held past its deadline. The jobs held
// with it get a try then too: a throttle sends them back to backing off.
func (d *dispatcher) holdAtMost(at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.holdUntil.After(at) {
		d.holdUntil = at
	}
}

// attempt describes one run of j for its history.
func attempt(res *lambda.InvokeResult, err error, start, end time.Time) lambda.JobAttempt {
	a := lambda.JobAttempt{Start: start, Duration: lambda.Duration(end.Sub(start)), Status: lambda.StatusFailed}
	if res != nil {
		a.HTTPStatus = res.StatusCode
		a.Logs = string(res.LogTail)
		if inv := res.Invocation; inv != nil {
			a.Start, a.Duration, a.Version, a.Cold = inv.Start, lambda.Duration(inv.Duration), inv.Version, inv.Cold
		}
	}
	if err != nil {
		a.ErrorType, a.Error = lambda.ErrorCode(err), lambda.ErrorMessage(err)
		if a.Logs == "" {
			a.Logs = a.Error
		}
	} else if res.Failed() {
		a.ErrorType, a.Error = lambda.EFUNCTION, functionErrorMessage(res)
	}
	return a
}

// outcome sets the job's record of its last attempt, a.
func outcome(j *lambda.Job, res *lambda.InvokeResult, err error, a lambda.JobAttempt) {
	j.Version, j.HTTPStatus, j.Duration = a.Version, a.HTTPStatus, a.Duration
	j.Response, j.ResponseTruncated = nil, false
	j.FunctionError, j.ErrorType, j.ErrorMessage = "", "", ""
	if res != nil {
		j.Response = res.Payload
		if len(j.Response) > lambda.MaxStoredResponseBytes {
			j.Response, j.ResponseTruncated = j.Response[:lambda.MaxStoredResponseBytes], true
		}
	}
	switch {
	case err != nil:
		j.ErrorType, j.ErrorMessage = lambda.ErrorCode(err), lambda.ErrorMessage(err)
		if code := j.ErrorType; code == lambda.EFUNCTION || code == lambda.EOUTOFMEMORY || code == lambda.ETIMEOUT {
			j.FunctionError = "Unhandled"
		}
	case res.Failed():
		j.FunctionError = res.FunctionError
		if j.FunctionError == "" {
			j.FunctionError = "Unhandled"
		}
		j.ErrorType, j.ErrorMessage = lambda.EFUNCTION, functionErrorMessage(res)
	}
}

// functionErrorMessage describes a failed answer: the errorMessage of a
// Lambda error document, or its status.
func functionErrorMessage(res *lambda.InvokeResult) string {
	var doc struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if json.Unmarshal(res.Payload, &doc) == nil && doc.ErrorMessage != "" {
		if doc.ErrorType != "" {
			return doc.ErrorType + ": " + doc.ErrorMessage
		}
		return doc.ErrorMessage
	}
	if res.FunctionError != "" {
		return fmt.Sprintf("the function reported an error (%s)", res.FunctionError)
	}
	return fmt.Sprintf("the function answered with status %d", res.StatusCode)
}

// appendAttempt adds a to j's history, keeping the newest
// MaxJobAttemptsKept.
func appendAttempt(j *lambda.Job, a lambda.JobAttempt) {
	j.History = append(j.History, a)
	if n := len(j.History) - lambda.MaxJobAttemptsKept; n > 0 {
		j.History = append([]lambda.JobAttempt(nil), j.History[n:]...)
	}
}

// die ends j as dead and sends its failure record to the function's
// on-failure destination.
func (q *Queue) die(ctx context.Context, j *lambda.Job, s lambda.Scaling, condition string, now time.Time) {
	j.Status, j.FinishedAt = lambda.StatusDead, &now
	q.Logger.Info("async job dead", "function", j.Function, "id", j.ID, "condition", condition, "attempts", j.Attempts, "error", j.ErrorMessage)
	q.destination(ctx, s.OnFailure, j, condition, now)
	q.write(ctx, j)
}

// requeue puts back a job whose attempt the queue's closing interrupted:
// the try is not consumed.
func (q *Queue) requeue(ctx context.Context, j *lambda.Job, now time.Time) {
	j.Status, j.NextRunAt = lambda.StatusQueued, now
	q.Logger.Info("async job interrupted by shutdown; queued again", "function", j.Function, "id", j.ID)
	q.write(ctx, j)
}

// write stores j's new state. A failed write leaves the job running in
// the store, where the next start queues it again: it is logged, not lost.
func (q *Queue) write(ctx context.Context, j *lambda.Job) {
	wctx, cancel := writeContext(ctx)
	defer cancel()
	err := q.jobs.UpdateJob(wctx, j)
	switch {
	case lambda.ErrorCode(err) == lambda.ENOTFOUND:
		// Its function was deleted meanwhile, and its jobs with it.
		q.Logger.Warn("async: job gone before its outcome was recorded", "function", j.Function, "id", j.ID, "status", j.Status)
	case err != nil:
		q.Logger.Error("async: record job outcome", "function", j.Function, "id", j.ID, "status", j.Status, "err", err)
	}
}
