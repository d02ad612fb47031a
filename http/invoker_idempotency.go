package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/lambdahq/lambda"
)

// A synchronous invocation with an idempotency key is kept as a job (Sync
// set): created running before the function is called, so that a second
// call with the key while it runs is refused (409 with its ID), and
// updated with the whole answer once it ends, so that a later call gets
// that very answer again without running the function (a replay).
//
// The key is bound for good once the event may have reached the function:
// the job records the leased version (one write, committed) before the
// event is sent, and from then on the invocation runs to its end even if
// its caller goes away (a client timing out and retrying is the case the
// key exists for), its outcome stored and replayed. A job still running
// with a version when the server dies ends failed, outcome unknown, the
// key still bound (sqlite RequeueRunning). Only a call that never reached
// the function (throttled, the platform down, its caller gone while it
// waited for an instance) ends with Version 0, which frees the key.

// jobWriteTimeout bounds the write of an idempotent invocation's outcome,
// which happens even when its caller has gone.
const jobWriteTimeout = 10 * time.Second

// syncJobsUnlimited is the queue limit of a sync job: it never waits in
// the queue, so the function's backlog of async work cannot refuse it.
const syncJobsUnlimited = math.MaxInt32

// invocationRef names the invocation an error is about, for the answers
// that carry its ID: a call whose key names an invocation still running,
// or the replay of one that failed.
type invocationRef struct {
	id       string
	replayed bool
}

func (r *invocationRef) Error() string { return "invocation " + r.id }

// setKeyOwner names, on the refusal of an asynchronous submission whose
// idempotency key belongs to another payload, the invocation it belongs
// to (a synchronous call's refusal names it through its invocationRef).
func setKeyOwner(h http.Header, err error) {
	var owner *lambda.KeyOwner
	if errors.As(err, &owner) {
		h.Set(HeaderInvocationID, owner.ID)
	}
}

// refError returns a domain error naming invocation ref.
func refError(code, msg string, ref *invocationRef) error {
	return &lambda.Error{Code: code, Message: msg, Err: ref}
}

func (iv *Invoker) invokeIdempotent(ctx context.Context, req *lambda.InvokeRequest) (*lambda.InvokeResult, error) {
	if iv.Jobs == nil {
		return nil, lambda.Errorf(lambda.ENOTIMPLEMENTED, "idempotency keys are not available on this server, which keeps no invocation records: invoke without an idempotency key")
	}
	if !json.Valid(req.Payload) || !utf8.Valid(req.Payload) {
		return nil, lambda.Errorf(lambda.EINVALID, "an invocation with an idempotency key is kept with its payload, which must then be JSON in UTF-8: send a JSON document, or invoke without the key")
	}
	hash := lambda.RequestHash(req.Qualifier, req.Payload)
	run := *req
	run.IdempotencyKey = ""
	if run.RequestID == "" {
		run.RequestID = lambda.NewRequestID()
	}
	if run.Trigger == "" {
		run.Trigger = lambda.TriggerInvoke
	}
	now := time.Now()
	job := &lambda.Job{
		ID: run.RequestID, Function: req.Function, Qualifier: req.Qualifier, Trigger: run.Trigger, Sync: true,
		Status: lambda.StatusRunning, Attempts: 1, Timeout: lambda.Duration(req.Timeout),
		IdempotencyKey: req.IdempotencyKey, PayloadHash: hash,
		CreatedAt: now, NextRunAt: now, StartedAt: &now,
	}
	if len(req.Payload) > 0 {
		job.Payload = json.RawMessage(req.Payload)
	}
	existing, created, err := iv.Jobs.CreateJob(ctx, lambda.NewJob{Job: job, MaxQueued: syncJobsUnlimited})
	var owner *lambda.KeyOwner
	if errors.As(err, &owner) {
		return nil, refError(lambda.ErrorCode(err), lambda.ErrorMessage(err), &invocationRef{id: owner.ID})
	}
	if err != nil {
		return nil, err
	}
	if !created {
		return replay(existing, hash, req.IdempotencyKey)
	}
	res, rec, ran, err := iv.invoke(ctx, &run, iv.bindKey(job))
	iv.saveOutcome(ctx, job, res, rec, ran, err)
	return res, err
}

// bindKey returns the invoke hook that records, before the event is sent,
// the version about to receive it: committed, it keeps the key bound
// should the server die during the call. A caller already gone by then
// is not served: nothing reached the function, and the key is freed.
func (iv *Invoker) bindKey(job *lambda.Job) func(context.Context, *lambda.Lease) error {
	return func(ctx context.Context, lease *lambda.Lease) error {
		if ctx.Err() != nil {
			return fmt.Errorf("function %q: %w (%w)", job.Function, errCanceled, context.Cause(ctx))
		}
		job.Version = lease.Version
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jobWriteTimeout)
		defer cancel()
		return iv.Jobs.UpdateJob(wctx, job)
	}
}

// saveOutcome ends the job of an idempotent invocation with its answer,
// all of it (up to the 6 MB of a response), so that replays are exact.
// When the function never ran (no capacity, the platform failed, the
// caller went away while it waited for an instance), the job says
// Version 0, which frees the key: the call may be made again and will run.
func (iv *Invoker) saveOutcome(ctx context.Context, job *lambda.Job, res *lambda.InvokeResult, rec *lambda.Invocation, ran bool, err error) {
	end := rec.Start.Add(rec.Duration)
	job.Status, job.FinishedAt, job.Duration = rec.Status, &end, lambda.Duration(rec.Duration)
	job.HTTPStatus, job.ErrorType, job.Version = rec.HTTPStatus, rec.ErrorType, 0
	if ran {
		job.Version = rec.Version
	}
	logs := ""
	if res != nil {
		job.Response, job.FunctionError, logs = res.Payload, res.FunctionError, string(res.LogTail)
	}
	if err != nil {
		job.ErrorMessage = lambda.ErrorMessage(err)
	}
	job.History = []lambda.JobAttempt{{
		Attempt: 1, Counted: ran, Start: rec.Start, Duration: job.Duration, Version: job.Version,
		Status: rec.Status, HTTPStatus: rec.HTTPStatus, Cold: rec.Cold, ErrorType: rec.ErrorType, Error: job.ErrorMessage, Logs: logs,
		TraceID: rec.TraceID,
	}}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jobWriteTimeout)
	defer cancel()
	if err := iv.Jobs.UpdateJob(wctx, job); err != nil {
		iv.logger.Error("the outcome of an idempotent invocation was not saved: its key answers 409 until the server restarts", "id", job.ID, "function", job.Function, "err", err)
	}
}

// replay answers a call whose idempotency key names an existing job: its
// stored result, or why there is none to give.
func replay(job *lambda.Job, hash, key string) (*lambda.InvokeResult, error) {
	ref := &invocationRef{id: job.ID}
	switch {
	case job.PayloadHash != "" && job.PayloadHash != hash:
		return nil, refError(lambda.EIDEMPOTENCY, fmt.Sprintf("idempotency key %q was used with another payload or qualifier, by invocation %s: use a new key for a new request", key, job.ID), ref)
	case job.Pending():
		return nil, refError(lambda.ECONFLICT, fmt.Sprintf("invocation %s, of idempotency key %q, is still running: repeat the call once it has ended to get its result", job.ID, key), ref)
	}
	ref.replayed = true
	if job.ErrorMessage != "" && job.FunctionError == "" && len(job.Response) == 0 {
		// It ended without an answer (a timeout, a crash): so does the replay.
		return nil, refError(job.ErrorType, job.ErrorMessage, ref)
	}
	rec := &lambda.Invocation{
		ID: job.ID, Function: job.Function, Version: job.Version, Trigger: job.Trigger,
		Duration: time.Duration(job.Duration), Status: job.Status, HTTPStatus: job.HTTPStatus,
		ErrorType: job.ErrorType, Attempt: max(job.Attempts, 1),
	}
	if job.StartedAt != nil {
		rec.Start = *job.StartedAt
	}
	status := job.HTTPStatus
	if status == 0 {
		status = 200
	}
	return &lambda.InvokeResult{Invocation: rec, StatusCode: status, Payload: job.Response, FunctionError: job.FunctionError, Replayed: true}, nil
}
