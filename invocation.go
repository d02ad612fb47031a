package lambda

import (
	"context"
	"time"
)

// Trigger says what started an invocation.
type Trigger string

// Triggers. Every invocation names one; metrics and history group by it.
const (
	TriggerHTTP   Trigger = "http"   // a request to the function's URL (NAME.DOMAIN or /fn/NAME)
	TriggerInvoke Trigger = "invoke" // POST /v1/functions/{name}/invoke (`lambda invoke`)
	TriggerAPI    Trigger = "api"    // the Lambda Invoke API (AWS SDKs and CLI)
	TriggerCron   Trigger = "cron"   // a schedule's tick, run through the async queue
	TriggerAsync  Trigger = "async"  // an asynchronous invocation taken from the queue
)

// Invocation limits.
const (
	// MaxAsyncPayloadBytes is the largest event an asynchronous
	// invocation accepts, as on Lambda.
	MaxAsyncPayloadBytes = 1 << 20
	// MaxIdempotencyKeyLength bounds an Idempotency-Key.
	MaxIdempotencyKeyLength = 256
	// IdempotencyWindow is how long a key keeps naming its invocation.
	IdempotencyWindow = 24 * time.Hour
	// MaxStoredResponseBytes is how much of an asynchronous invocation's
	// response its record keeps; the rest is cut and the record says so.
	MaxStoredResponseBytes = 256 << 10
	// MaxLogTailBytes is how much of an invocation's output comes back
	// when the log tail is asked for, as Lambda's X-Amz-Log-Result.
	MaxLogTailBytes = 4 << 10
)

// InvokeRequest asks the Invoker to run a function once. A direct
// invocation (every trigger but http) passes Payload as the event; an
// http-triggered one is the gateway's, which forwards the client's request
// as is and streams the answer back (see the http package).
type InvokeRequest struct {
	Function string
	// Qualifier selects the version: "" or "$LATEST" is the active one; a
	// version number must name the active version (per-version routing
	// does not exist yet).
	Qualifier string
	Payload   []byte
	Trigger   Trigger
	// RequestID becomes the invocation's ID; "" has the Invoker make one.
	// Async jobs pass their job ID, so that every attempt of a job runs
	// under the ID its submitter was given, as on Lambda.
	RequestID string
	// Timeout, when set, shortens the function's timeout for this call;
	// it never lengthens it.
	Timeout time.Duration
	// LogTail asks for the last MaxLogTailBytes of the invocation's output.
	LogTail bool
	// IdempotencyKey, when set on a synchronous direct invocation, makes a
	// repeated call within IdempotencyWindow replay the stored result
	// instead of running the function again.
	IdempotencyKey string
	// Attempt numbers the tries of an async job, from 1; 0 or 1 for a
	// synchronous call.
	Attempt int
	// QueueWait is how long an async job waited in the queue before this
	// attempt, reported in its Invocation.
	QueueWait time.Duration
	// Schedule and Overlap, on a submission by the cron scheduler, name
	// the schedule whose tick it is and its overlap policy (Job.Schedule).
	Schedule string
	Overlap  string
	// Trace is the caller's trace context (its traceparent, parsed): the
	// invocation runs as a child of it, forwarded to the function with a
	// new parent ID of the platform's. A zero Trace starts a new trace; a
	// Trace with a TraceID but no ParentID (an async job's, trace.go)
	// continues that trace.
	Trace TraceContext
	// TraceState is the caller's tracestate, forwarded with a valid Trace
	// only.
	TraceState string
	// ClientContext is the Lambda Invoke API's client context, decoded: a
	// JSON object, compact and ASCII only, so that it travels in a header
	// to the instance, whose runtime hands it to the handler as Lambda's
	// runtimes do. "" when the caller sent none. Lambda passes it to
	// synchronous invocations only, so async jobs do not keep it.
	ClientContext string
}

// InvokeResult is a function's answer to a direct invocation.
type InvokeResult struct {
	Invocation *Invocation
	// StatusCode and Header are the function's HTTP answer as the shim or
	// the function gave it; Payload is its body.
	StatusCode int
	Header     map[string][]string
	Payload    []byte
	// FunctionError is "Unhandled" (or "Handled") when the function
	// reported an error instead of a result, as Lambda's
	// X-Amz-Function-Error; Payload then holds the error document.
	FunctionError string
	// LogTail is the end of the invocation's output, when asked for.
	LogTail []byte
	// Replayed: the result is the stored one of an earlier call with the
	// same idempotency key; the function did not run again.
	Replayed bool
}

// Failed reports whether the function failed rather than answered: it
// reported an error, or answered with a server error status.
func (r *InvokeResult) Failed() bool {
	return r.FunctionError != "" || r.StatusCode >= 500
}

// Invocation statuses. A synchronous invocation ends succeeded or failed;
// an asynchronous one moves queued → running → succeeded, or → retrying →
// running … until it succeeds or runs out of retries or age: dead.
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusRetrying  = "retrying"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusDead      = "dead"
)

// InvocationStatuses lists the status words, in lifecycle order.
var InvocationStatuses = []string{StatusQueued, StatusRunning, StatusRetrying, StatusSucceeded, StatusFailed, StatusDead}

// Invocation is the record of one run of a function: what observers
// (metrics, logs, history) receive when it ends.
type Invocation struct {
	ID       string    `json:"id"`
	Function string    `json:"function"`
	Version  int       `json:"version"`
	Trigger  Trigger   `json:"trigger"`
	Start    time.Time `json:"start"`
	// Duration is the whole invocation, from its start to its answer:
	// QueueWait included.
	Duration   time.Duration `json:"duration"`
	Status     string        `json:"status"`      // succeeded or failed
	HTTPStatus int           `json:"http_status"` // what the caller got
	Cold       bool          `json:"cold_start"`
	// QueueWait is the time spent waiting for an instance (and, for an
	// async job, in the queue before this attempt).
	QueueWait time.Duration `json:"queue_wait"`
	// ErrorType is the error code of a failure (function_error,
	// out_of_memory, timeout, throttled, unavailable, …), "" on success.
	ErrorType string `json:"error_type,omitempty"`
	Attempt   int    `json:"attempt"`
	// InitDuration is, on a cold start, what starting the instance cost
	// the invocation: its wait for the instance started for it (queue
	// time of an async job not included).
	InitDuration time.Duration `json:"init_duration,omitempty"`
	// ThrottleReason says why a throttled invocation was refused.
	ThrottleReason ThrottleReason `json:"throttle_reason,omitempty"`
	// Instance is the container that ran it; MemoryMB its memory size.
	Instance string `json:"instance,omitempty"`
	MemoryMB int    `json:"memory_mb,omitempty"`
	// MaxMemoryUsedMB is the instance's peak memory use up to the end of
	// the invocation, as the shim read it from the container's cgroup
	// (0: unknown, e.g. an http function, which runs without a shim).
	MaxMemoryUsedMB int `json:"max_memory_used_mb,omitempty"`
	// TraceID is the W3C trace ID (32 lowercase hex digits) the
	// invocation ran under: the caller's traceparent's, or a new one.
	TraceID string `json:"trace_id,omitempty"`
	// Timeout is the function's timeout for this call (a per-call one
	// shortens it), 0 until an instance took it: Lambda's REPORT Duration
	// never passes it, and a timeout's "Task timed out after" line says it.
	// Configuration, not outcome: records do not store it.
	Timeout time.Duration `json:"-"`
	// RuntimeExit is set when the function's runtime died during the
	// invocation, a crash rather than an error it answered (both are
	// function_error), and says how in Lambda's words: "exit status 1",
	// "signal: killed", or RuntimeExitUnknown when the instance went without
	// saying. Lambda's REPORT then has Status: error and Error Type:
	// Runtime.ExitError (log_report.go).
	RuntimeExit string `json:"runtime_exit,omitempty"`
}

// Invoker runs functions. There is one implementation, over the Router and
// the transport to instances; every trigger goes through it, so every
// invocation is counted, bounded and observed the same way.
type Invoker interface {
	// Invoke runs a direct invocation and returns the function's answer.
	// The error is set when there is no answer: the function does not
	// exist (ENOTFOUND), is throttled (ETHROTTLED), the platform failed
	// (EUNAVAILABLE, EINTERNAL), or the function crashed (EFUNCTION) or
	// ran past its timeout (ETIMEOUT). An answer the function gave as an
	// error is a result with FunctionError set, not an error. When ctx
	// ends before the answer, the error wraps ctx's cause
	// (errors.Is(err, context.Canceled)), and the instance goes back to
	// the pool unharmed.
	Invoke(ctx context.Context, req *InvokeRequest) (*InvokeResult, error)
}

// InvocationObserver receives every finished invocation. It is called on
// the request's own goroutine after the answer went out, so it must return
// at once: no store write and no lock shared by all requests (batch, or
// keep it in memory). The Invocation must not be kept after the call
// without copying it.
type InvocationObserver interface {
	ObserveInvocation(inv *Invocation)
}

// Observers hands each invocation to every observer in turn.
type Observers []InvocationObserver

// ObserveInvocation implements InvocationObserver.
func (o Observers) ObserveInvocation(inv *Invocation) {
	for _, x := range o {
		x.ObserveInvocation(inv)
	}
}
