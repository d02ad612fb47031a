package async

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/lambdahq/lambda"
)

// emptyPayload is the event of an invocation sent without one.
var emptyPayload = []byte("{}")

// Submit checks an asynchronous invocation, stores it as a queued job and
// wakes its function's dispatcher. Nothing is stored when a check fails.
// With an idempotency key still in its window, the existing job is
// returned with created false.
func (q *Queue) Submit(ctx context.Context, req *lambda.InvokeRequest) (*lambda.Job, bool, error) {
	if len(req.Payload) > lambda.MaxAsyncPayloadBytes {
		return nil, false, lambda.Errorf(lambda.ETOOLARGE, "the payload is %d bytes: asynchronous invocations accept at most 1 MB (%d bytes); send a smaller event, or a reference to the data (a URL or a key)", len(req.Payload), lambda.MaxAsyncPayloadBytes)
	}
	return q.submit(ctx, req, 0)
}

// submit is Submit after the size check, for a job of the given depth in
// a chain of destinations (lambda.Job.Depth). Destination records are cut
// to the size limit before they come here.
func (q *Queue) submit(ctx context.Context, req *lambda.InvokeRequest, depth int) (*lambda.Job, bool, error) {
	trigger, err := checkSubmission(req)
	if err != nil {
		return nil, false, err
	}
	fn, err := q.checkFunction(ctx, req.Function, req.Qualifier)
	if err != nil {
		return nil, false, err
	}
	payload := req.Payload
	if len(bytes.TrimSpace(payload)) == 0 {
		payload = emptyPayload
	}
	now := q.Clock.Now()
	j := &lambda.Job{
		ID:             lambda.NewRequestID(),
		Function:       req.Function,
		Qualifier:      req.Qualifier,
		Trigger:        trigger,
		Payload:        payload,
		Status:         lambda.StatusQueued,
		Timeout:        lambda.Duration(req.Timeout),
		IdempotencyKey: req.IdempotencyKey,
		PayloadHash:    lambda.RequestHash(req.Qualifier, payload),
		Schedule:       req.Schedule,
		Overlap:        req.Overlap,
		TraceParent:    submissionTrace(req),
		CreatedAt:      now,
		NextRunAt:      now,
		Depth:          depth,
	}
	// With a free slot, the job may be created running and run at once:
	// no claim, one transaction less per job. The store creates it so
	// only when nothing of the function waits, which keeps the order.
	var d *dispatcher
	if req.Schedule == "" {
		d = q.reserve(req.Function, fn.Scaling)
	}
	maxQueued := q.MaxQueued
	if depth > 0 {
		maxQueued = destinationMaxQueued(maxQueued)
	}
	job, created, err := q.jobs.CreateJob(ctx, lambda.NewJob{Job: j, MaxQueued: maxQueued, Start: d != nil})
	switch {
	case d == nil:
	case err == nil && created && job.Status == lambda.StatusRunning:
		// The run gets its own copy: job goes back to the caller.
		q.launch(d, cloneForRun(job), fn.Scaling)
		return job, true, nil
	default:
		q.unreserve(d)
	}
	if err != nil {
		return nil, false, err
	}
	if created {
		q.wake(req.Function)
	}
	return job, created, nil
}

// destinationMaxQueued is the limit of waiting jobs a destination record
// meets: twice a client's. The limit is backpressure on clients, who can
// send again; the job a record tells of has ended, so a record refused
// is lost (as on Lambda, whose queue has no such limit). Twice keeps the
// destination's queue bounded all the same.
func destinationMaxQueued(limit int) int {
	if limit <= 0 {
		limit = lambda.DefaultMaxQueued
	}
	return 2 * limit
}

// cloneForRun copies what running j changes, so that the caller's j is
// not written by the run.
func cloneForRun(j *lambda.Job) *lambda.Job {
	c := *j
	c.History = append([]lambda.JobAttempt(nil), j.History...)
	if j.StartedAt != nil {
		t := *j.StartedAt
		c.StartedAt = &t
	}
	return &c
}

// checkSubmission checks what can be checked without the store and
// returns the job's trigger.
func checkSubmission(req *lambda.InvokeRequest) (lambda.Trigger, error) {
	if err := lambda.ValidateName(req.Function); err != nil {
		return "", err
	}
	trigger := req.Trigger
	switch trigger {
	case "":
		trigger = lambda.TriggerAsync
	case lambda.TriggerAsync, lambda.TriggerAPI, lambda.TriggerCron, lambda.TriggerInvoke:
	default:
		return "", lambda.Errorf(lambda.EINVALID, "trigger %q cannot be queued: asynchronous invocations come from the API, the Invoke API or a schedule", trigger)
	}
	if err := checkPayload(req.Payload); err != nil {
		return "", err
	}
	if err := lambda.ValidateIdempotencyKey(req.IdempotencyKey); err != nil {
		return "", err
	}
	if t := req.Timeout; t != 0 && (t < time.Millisecond || t > lambda.MaxTimeout) {
		return "", lambda.Errorf(lambda.EINVALID, "timeout %s is out of range 1ms-%s: it can only shorten the function's own timeout", t, lambda.MaxTimeout)
	}
	return trigger, nil
}

// checkPayload accepts nothing or white space (the event is then {}) or
// exactly one JSON value in UTF-8, and says where anything else breaks.
// json accepts bytes that are not UTF-8 inside strings: such a payload,
// stored, would come back in the job's record as invalid JSON.
func checkPayload(p []byte) error {
	if len(bytes.TrimSpace(p)) == 0 {
		return nil
	}
	var v json.RawMessage
	err := json.Unmarshal(p, &v)
	if err == nil && !utf8.Valid(p) {
		return lambda.Errorf(lambda.EINVALID, "the payload is not valid UTF-8, which JSON must be: encode its strings as UTF-8 (binary data as base64)")
	}
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return lambda.Errorf(lambda.EINVALID, "the payload is not valid JSON: %v at byte %d; send one JSON value (or nothing, for {})", syn, syn.Offset)
	}
	return lambda.Errorf(lambda.EINVALID, "the payload is not valid JSON: %v; send one JSON value (or nothing, for {})", err)
}

// checkFunction checks that function exists, has an active version and
// that qualifier names something it can run, and returns it.
func (q *Queue) checkFunction(ctx context.Context, function, qualifier string) (lambda.ActiveFunction, error) {
	fn, err := q.lookup().LookupFunction(ctx, function)
	if lambda.ErrorCode(err) == lambda.ENOTFOUND {
		return fn, lambda.NotDeployed(function)
	}
	if err != nil {
		return fn, err
	}
	if err := checkQualifier(fn, qualifier); err == nil || q.Qualifiers == nil {
		return fn, err
	}
	// Another version or an alias: the job keeps the qualifier and each
	// attempt is routed there (the invoker passes it to the router), as
	// a synchronous call would be.
	if _, err := lambda.ParseQualifier(qualifier); err != nil {
		return fn, err
	}
	return fn, q.Qualifiers.CheckQualifier(ctx, function, qualifier)
}

// checkQualifier accepts "", $LATEST, live and the active version's
// number: what runs without a QualifierChecker to ask.
func checkQualifier(fn lambda.ActiveFunction, qualifier string) error {
	if qualifier == "" || qualifier == lambda.QualifierLatest || qualifier == lambda.AliasLive {
		return nil
	}
	n, err := strconv.Atoi(qualifier)
	if err != nil || n < 1 {
		return lambda.Errorf(lambda.EINVALID, "qualifier %q is not $LATEST or a version number", qualifier)
	}
	if n != fn.Version {
		return lambda.Errorf(lambda.EINVALID, "version %d of function %q is not its active version (%d): only the active version is invoked; use $LATEST, or roll back to version %d first", n, fn.Name, fn.Version, n)
	}
	return nil
}
