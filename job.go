package lambda

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// Job is an asynchronous invocation: an event accepted (202) and kept in
// the store until it has run, as many times as its retries allow. Its ID
// is the request ID every attempt runs under. Synchronous invocations with
// an idempotency key are stored as jobs too (Sync set), so that a repeated
// call can be answered from the record.
type Job struct {
	ID        string          `json:"id"`
	Function  string          `json:"function"`
	Qualifier string          `json:"qualifier,omitempty"`
	Trigger   Trigger         `json:"trigger"` // async, api (Event), cron, or the sync trigger
	Sync      bool            `json:"sync,omitempty"`
	Payload   json.RawMessage `json:"payload,omitempty"`
	Status    string          `json:"status"` // one of InvocationStatuses
	// Attempts counts the attempts that consumed a try: the first run and
	// each retry after a function error. Throttled or platform-failed
	// attempts are retried without counting.
	Attempts int `json:"attempts"`
	// Timeout, when set, shortens the function's timeout for each attempt.
	Timeout        Duration `json:"timeout,omitempty"`
	IdempotencyKey string   `json:"idempotency_key,omitempty"`
	// PayloadHash is the hex SHA-256 of Payload; a repeated idempotency key
	// with another payload is refused by it.
	PayloadHash string `json:"-"`
	// Schedule is the schedule whose tick queued the job, Overlap that
	// schedule's policy when it did: jobs of a schedule with overlap skip
	// or queue never run at the same time.
	Schedule string `json:"schedule,omitempty"`
	Overlap  string `json:"overlap,omitempty"`

	CreatedAt time.Time `json:"created_at"` // the event's age counts from here
	// NextRunAt is when the job may next be taken (queued or retrying).
	NextRunAt  time.Time  `json:"next_run_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"` // the first attempt's start
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Duration   Duration   `json:"duration,omitempty"` // of the last attempt

	// The outcome of the last attempt.
	Version           int    `json:"version,omitempty"` // the version that ran
	HTTPStatus        int    `json:"http_status,omitempty"`
	Response          []byte `json:"response,omitempty"`
	ResponseTruncated bool   `json:"response_truncated,omitempty"`
	FunctionError     string `json:"function_error,omitempty"` // "Unhandled", as Lambda
	ErrorType         string `json:"error_type,omitempty"`     // an error code
	ErrorMessage      string `json:"error_message,omitempty"`

	// Depth counts the destination deliveries that led to the job: 0 for
	// an event a client or a schedule submitted, n+1 for the record a job
	// of depth n sent to its destination. It is set at creation.
	Depth int `json:"destination_depth,omitempty"`
	// Destination is what became of the record the job sent to its
	// function's destination when it ended; nil when none was configured.
	Destination *DestinationDelivery `json:"destination,omitempty"`

	// TraceParent is the W3C traceparent of the submission, which every
	// attempt continues as a child; "" when the submitter sent none (the
	// attempts then share the trace named after the job's ID:
	// TraceOfRequestID). Stores keep it with the job (docs/api.md, "Trace
	// context").
	TraceParent string `json:"traceparent,omitempty"`

	// History holds every attempt, counted or not, oldest first (at most
	// MaxJobAttemptsKept, the newest).
	History []JobAttempt `json:"attempt_history,omitempty"`

	// Seq is the store's creation order, set by ListJobs: jobs redriven
	// together share a CreatedAt, and a listing pages on both (JobCursor).
	Seq int64 `json:"-"`
}

// MaxJobAttemptsKept bounds a job's History: a job throttled for hours
// would otherwise collect hundreds.
const MaxJobAttemptsKept = 20

// MaxDestinationDepth bounds chains of destinations: the record of a job
// of this depth is not delivered. Functions that name each other as
// destinations are refused when configured, but a chain may still form
// (settings changed while records are in flight): it stops here, as AWS
// Lambda's recursive loop detection stops after about 16 invocations.
const MaxDestinationDepth = 16

// DestinationDelivery records what became of the record a job sent to a
// destination when it ended.
type DestinationDelivery struct {
	Setting   string `json:"setting"` // on_success or on_failure
	Function  string `json:"function"`
	Condition string `json:"condition"` // as the record's requestContext.condition
	// ID is the invocation queued for the destination; empty when the
	// record was not delivered, and Error then says why.
	ID    string `json:"id,omitempty"`
	Error string `json:"error,omitempty"`
	// Truncated: the record's payloads were cut to fit in an asynchronous
	// event (MaxAsyncPayloadBytes).
	Truncated bool `json:"truncated,omitempty"`
}

// Pending reports whether the job has yet to end.
func (j *Job) Pending() bool {
	return j.Status == StatusQueued || j.Status == StatusRunning || j.Status == StatusRetrying
}

// JobAttempt is one run of a job.
type JobAttempt struct {
	Attempt    int       `json:"attempt"` // the job's Attempts after it; uncounted ones repeat it
	Counted    bool      `json:"counted"` // false: throttled or platform error, no try consumed
	Start      time.Time `json:"start"`
	Duration   Duration  `json:"duration"`
	Version    int       `json:"version,omitempty"`
	Status     string    `json:"status"` // succeeded or failed
	HTTPStatus int       `json:"http_status,omitempty"`
	Cold       bool      `json:"cold_start,omitempty"`
	ErrorType  string    `json:"error_type,omitempty"`
	Error      string    `json:"error,omitempty"`
	// Logs is the tail of the function's output during the attempt.
	Logs string `json:"logs,omitempty"`
	// TraceID is the W3C trace the attempt ran under (Invocation.TraceID).
	TraceID string `json:"trace_id,omitempty"`
	// RuntimeExit says how the function's runtime ended when it died
	// during the attempt (Invocation.RuntimeExit: "exit status 1",
	// "signal: killed", "unknown"). A synchronous invocation's record has
	// it; an async attempt does not keep it.
	RuntimeExit string `json:"runtime_exit,omitempty"`
	// LogsPath is where the attempt's whole log is, from its START to its
	// REPORT line: an API path (GET) selecting the job's ID within the
	// attempt's time, since every attempt runs under that ID. Set when the
	// record is served (Job.LinkAttemptLogs), never stored.
	LogsPath string `json:"logs_path,omitempty"`
}

// JobFilter selects jobs to list; zero fields select all.
type JobFilter struct {
	Function string
	Status   string
	Since    time.Time // created at or after
	Limit    int       // 0: DefaultJobListLimit
	// Before selects jobs created strictly before it.
	Before time.Time
	// After pages: the jobs that follow it in the listing's order (the
	// cursor of the previous page's last job). Before cannot page, since
	// jobs may share a CreatedAt.
	After *JobCursor
}

// Listing bounds.
const (
	DefaultJobListLimit = 50
	MaxJobListLimit     = 1000
)

// NewJob describes a job to create and the checks its creation must pass
// atomically with it.
type NewJob struct {
	Job *Job
	// MaxQueued is the function's limit of jobs waiting to run (queued
	// or retrying; running ones leave room): past it the create fails
	// with ETHROTTLED and nothing is stored.
	MaxQueued int
	// Start asks for the job to be created running (StartedAt its
	// CreatedAt) if no job of its function waits (queued or retrying), so
	// that it is never taken before them: the caller holds a slot for it
	// and runs it at once, with no claim. Jobs of a schedule are always
	// queued. The returned job's Status says which it got.
	Start bool
}

// JobStore persists jobs. Writes that must survive a crash are committed
// before they return; concurrent writes may share a commit (group commit).
type JobStore interface {
	// CreateJob stores a new job, queued (or running, for a Sync one). With
	// an idempotency key still in its window it stores nothing and returns
	// the existing job with created false, or EIDEMPOTENCY when the
	// payload differs. A job of a schedule with overlap skip is refused
	// with ECONFLICT while another of the schedule is pending; with
	// overlap queue, while another is queued or retrying. ENOTFOUND when
	// the function does not exist; ETHROTTLED past MaxQueued.
	CreateJob(ctx context.Context, n NewJob) (job *Job, created bool, err error)
	// ClaimJobs marks up to limit of function's due jobs running and
	// returns them, oldest NextRunAt first (then creation order). A job is
	// due when it is queued or retrying with NextRunAt <= now; a job of a
	// schedule with overlap skip or queue is not taken while another of
	// the same schedule runs.
	ClaimJobs(ctx context.Context, function string, now time.Time, limit int) ([]*Job, error)
	// UpdateJob writes a job's status, attempts, outcome and history.
	UpdateJob(ctx context.Context, j *Job) error
	FindJob(ctx context.Context, id string) (*Job, error)
	// ListJobs returns jobs newest first, without payload and response.
	ListJobs(ctx context.Context, f JobFilter) ([]*Job, error)
	// DueJobs returns, per function with queued or retrying jobs, the
	// earliest NextRunAt: what the dispatcher waits for.
	DueJobs(ctx context.Context) (map[string]time.Time, error)
	// CountJobs returns the number of jobs per function and status.
	CountJobs(ctx context.Context) (map[string]map[string]int, error)
	// RequeueRunning puts back every async job left running (the server
	// stopped during it) as queued, the attempt it was in counted
	// (Job.Interrupted), and ends every sync one left running as failed.
	// It returns how many it requeued. It is called as a server starts.
	RequeueRunning(ctx context.Context, now time.Time) (int, error)
	// RedriveJobs queues dead jobs of function again with fresh attempts
	// and the same IDs: those named by ids, or every dead one when ids is
	// empty. Each is queued as at creation: Attempts 0, CreatedAt and
	// NextRunAt now (its event age starts again, or a job that died of
	// age would die again untried), FinishedAt nil; its History stays. An id that is unknown is ENOTFOUND, one that is not dead
	// ECONFLICT, and then nothing is requeued. The redriven jobs count
	// against the function's limit of waiting jobs as new ones do
	// (maxQueued; 0 is DefaultMaxQueued): when they would pass it, the
	// redrive is throttled (ThrottleAsyncQueueFull) and nothing requeued.
	RedriveJobs(ctx context.Context, function string, ids []string, now time.Time, maxQueued int) ([]*Job, error)
	// PruneJobs deletes jobs that ended before before, and idempotency
	// keys past their window; it returns how many jobs went.
	PruneJobs(ctx context.Context, before, now time.Time) (int, error)
}

// AsyncService accepts asynchronous invocations and answers for them.
type AsyncService interface {
	// Submit checks and stores an asynchronous invocation and returns its
	// job once committed: the caller may then acknowledge it (202).
	// created is false when an idempotency key named an existing job.
	Submit(ctx context.Context, req *InvokeRequest) (job *Job, created bool, err error)
	FindJob(ctx context.Context, id string) (*Job, error)
	ListJobs(ctx context.Context, f JobFilter) ([]*Job, error)
	// Redrive queues dead jobs of function again (all of them when ids is
	// empty) and returns them.
	Redrive(ctx context.Context, function string, ids []string) ([]*Job, error)
}

// Defaults and bounds of a function's asynchronous settings (Scaling).
const (
	DefaultMaxRetries   = 2
	MaxMaxRetries       = 2
	DefaultRetryDelay   = time.Minute // then doubled: 1 min, 2 min, as Lambda
	MinRetryDelay       = time.Second
	MaxRetryDelay       = time.Hour
	DefaultMaxEventAge  = 6 * time.Hour
	MinMaxEventAge      = time.Minute
	MaxMaxEventAge      = 6 * time.Hour
	DefaultMaxQueued    = 100_000 // pending jobs per function
	DefaultJobRetention = 7 * 24 * time.Hour
)

// DestinationRecord is the event a destination function receives, shaped
// as Lambda's.
type DestinationRecord struct {
	Version         string              `json:"version"` // "1.0"
	Timestamp       time.Time           `json:"timestamp"`
	RequestContext  DestinationRequest  `json:"requestContext"`
	RequestPayload  json.RawMessage     `json:"requestPayload"`
	ResponseContext DestinationResponse `json:"responseContext"`
	ResponsePayload json.RawMessage     `json:"responsePayload,omitempty"`
	// Set when a payload was cut so that the record fits in an
	// asynchronous event (MaxAsyncPayloadBytes): it is then a JSON string
	// of the payload's first bytes.
	RequestPayloadTruncated  bool `json:"requestPayloadTruncated,omitempty"`
	ResponsePayloadTruncated bool `json:"responsePayloadTruncated,omitempty"`
}

// DestinationRequest is the requestContext of a DestinationRecord.
type DestinationRequest struct {
	RequestID              string `json:"requestId"`
	FunctionArn            string `json:"functionArn"`
	Condition              string `json:"condition"` // Success, RetriesExhausted or EventAgeExceeded
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// DestinationResponse is the responseContext of a DestinationRecord.
type DestinationResponse struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// Clone returns a copy of j that shares no memory with it, for stores
// that hand jobs out and keep them, or write them after the caller moved on.
func (j *Job) Clone() *Job {
	c := *j
	c.Payload = slices.Clone(j.Payload)
	c.Response = slices.Clone(j.Response)
	c.History = slices.Clone(j.History)
	if j.Destination != nil {
		d := *j.Destination
		c.Destination = &d
	}
	if j.StartedAt != nil {
		t := *j.StartedAt
		c.StartedAt = &t
	}
	if j.FinishedAt != nil {
		t := *j.FinishedAt
		c.FinishedAt = &t
	}
	return &c
}
