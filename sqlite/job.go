package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

var _ lambda.JobStore = (*JobStore)(nil)

// JobStore implements lambda.JobStore. Its writes go through the DB's group
// commit (batch.go): each returns once the transaction holding it has
// committed, and concurrent writes share transactions.
type JobStore struct {
	db       *DB
	outcomes *batchGroup // UpdateJob's writes, several in a statement
	creates  *batchGroup // CreateJob's of async jobs without checks of their own
	// journalOuts is UpdateJob's writes of jobs of the journal
	// (job_journal.go), a batch's in one record.
	journalOuts *batchGroup
}

// NewJobStore returns a store on db, which must be opened before use.
func NewJobStore(db *DB) *JobStore {
	s := &JobStore{db: db}
	s.outcomes, s.creates, s.journalOuts = s.outcomeGroup(), s.createGroup(), s.journalOutcomeGroup()
	return s
}

// jobColumns is the column order of jobArgs and scanJob.
const jobColumns = `id, function, qualifier, trigger, sync, payload, status, attempts, timeout,
	idempotency_key, payload_hash, schedule, overlap, created_at, next_run_at, started_at, finished_at,
	duration, version, http_status, response, response_truncated, function_error, error_type,
	error_message, history, depth, destination, trace_parent`

// jobListColumns leaves out the payload and the response, which listings
// do not show and which may weigh a megabyte each.
var jobListColumns = strings.NewReplacer("payload,", "NULL,", "response,", "NULL,").Replace(jobColumns)

// jobPlaceholders has one ? per column of jobColumns.
var jobPlaceholders = strings.TrimSuffix(strings.Repeat("?, ", strings.Count(jobColumns, ",")+1), ", ")

// Statuses as SQL lists, for queries.
const (
	sqlWaiting = `('queued', 'retrying')`
	sqlPending = `('queued', 'running', 'retrying')`
	sqlEnded   = `('succeeded', 'failed', 'dead')`
)

func jobNotFound(id string) error {
	return lambda.Errorf(lambda.ENOTFOUND, "invocation %q not found: list a function's invocations with `lambda invocations NAME`", id)
}

func validStatus(s string) bool { return slices.Contains(lambda.InvocationStatuses, s) }

func invalidStatus(s string) error {
	return lambda.Errorf(lambda.EINVALID, "status %q is unknown: use one of %s", s, strings.Join(lambda.InvocationStatuses, ", "))
}

// ended reports whether status is final.
func ended(status string) bool {
	return status == lambda.StatusSucceeded || status == lambda.StatusFailed || status == lambda.StatusDead
}

// normalize enforces on j the bounds every stored job keeps: an ended job
// has a FinishedAt, History holds at most MaxJobAttemptsKept attempts (the
// newest) and Response at most MaxStoredResponseBytes.
func normalize(j *lambda.Job, now time.Time) {
	if ended(j.Status) && j.FinishedAt == nil {
		j.FinishedAt = &now
	}
	if n := len(j.History); n > lambda.MaxJobAttemptsKept {
		j.History = slices.Clone(j.History[n-lambda.MaxJobAttemptsKept:])
	}
	// A Sync job's response is replayed as the answer to a repeated call:
	// it is kept whole, as large as a synchronous answer may be.
	if !j.Sync && len(j.Response) > lambda.MaxStoredResponseBytes {
		j.Response = j.Response[:lambda.MaxStoredResponseBytes]
		j.ResponseTruncated = true
	}
}

func encodeHistory(h []lambda.JobAttempt) (string, error) {
	if len(h) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("sqlite: encode attempt history: %w", err)
	}
	return string(b), nil
}

// jobArgs returns j's values in jobColumns order.
func jobArgs(j *lambda.Job) ([]any, error) {
	history, err := encodeHistory(j.History)
	if err != nil {
		return nil, err
	}
	destination, err := encodeDestination(j.Destination)
	if err != nil {
		return nil, err
	}
	return []any{
		j.ID, j.Function, j.Qualifier, string(j.Trigger), j.Sync, nullBytes(j.Payload), j.Status, j.Attempts, int64(j.Timeout),
		j.IdempotencyKey, j.PayloadHash, j.Schedule, j.Overlap, formatTime(j.CreatedAt), formatTime(j.NextRunAt),
		formatNullTime(j.StartedAt), formatNullTime(j.FinishedAt),
		int64(j.Duration), j.Version, j.HTTPStatus, nullBytes(j.Response), j.ResponseTruncated, j.FunctionError, j.ErrorType,
		j.ErrorMessage, history, j.Depth, destination, j.TraceParent,
	}, nil
}

// encodeDestination stores a job's destination delivery as JSON, nil as
// NULL.
func encodeDestination(d *lambda.DestinationDelivery) (any, error) {
	if d == nil {
		return nil, nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode destination delivery: %w", err)
	}
	return string(b), nil
}

// nullBytes stores nil as NULL, so that it reads back as nil.
func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

func scanJob(row scanner) (*lambda.Job, error) {
	var (
		j                      lambda.Job
		trigger                string
		payload, response      []byte
		timeout, duration      int64
		created, next, history string
		started, finished      sql.NullString
		destination            sql.NullString
		sync, truncated        bool
	)
	err := row.Scan(&j.ID, &j.Function, &j.Qualifier, &trigger, &sync, &payload, &j.Status, &j.Attempts, &timeout,
		&j.IdempotencyKey, &j.PayloadHash, &j.Schedule, &j.Overlap, &created, &next, &started, &finished,
		&duration, &j.Version, &j.HTTPStatus, &response, &truncated, &j.FunctionError, &j.ErrorType,
		&j.ErrorMessage, &history, &j.Depth, &destination, &j.TraceParent)
	if err != nil {
		return nil, err
	}
	j.Trigger, j.Sync, j.ResponseTruncated = lambda.Trigger(trigger), sync, truncated
	j.Timeout, j.Duration = lambda.Duration(timeout), lambda.Duration(duration)
	if payload != nil {
		j.Payload = payload
	}
	if response != nil {
		j.Response = response
	}
	if j.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if j.NextRunAt, err = parseTime(next); err != nil {
		return nil, err
	}
	if j.StartedAt, err = parseNullTime(started); err != nil {
		return nil, err
	}
	if j.FinishedAt, err = parseNullTime(finished); err != nil {
		return nil, err
	}
	if history != "[]" {
		if err := json.Unmarshal([]byte(history), &j.History); err != nil {
			return nil, fmt.Errorf("sqlite: stored attempt history of invocation %q: %w", j.ID, err)
		}
	}
	if destination.Valid {
		if err := json.Unmarshal([]byte(destination.String), &j.Destination); err != nil {
			return nil, fmt.Errorf("sqlite: stored destination delivery of invocation %q: %w", j.ID, err)
		}
	}
	return &j, nil
}

const findJobQuery = `SELECT ` + jobColumns + ` FROM jobs WHERE id = ?`

// findJob reads a whole job inside a write transaction.
func (s *JobStore) findJob(ctx context.Context, tx *sql.Tx, id string) (*lambda.Job, error) {
	j, err := scanJob(s.db.queryRow(ctx, tx, findJobQuery, id))
	if err == sql.ErrNoRows {
		return nil, jobNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find invocation %q: %w", id, err)
	}
	return j, nil
}

// UpdateJob writes everything about j that changes after its creation:
// status, attempts, times, outcome and history. Before that it sets the
// FinishedAt of an ended job left without one, keeps the newest
// MaxJobAttemptsKept attempts and cuts a response past
// MaxStoredResponseBytes, on j itself. ENOTFOUND if the job is gone (its
// function was deleted, or it was pruned).
//
// A job running in memory (ClaimJobs) leaves the overlay with this write,
// which clears its claimed_at; written running, it stays there, its row
// as it was (queued or retrying) and claimed.
func (s *JobStore) UpdateJob(ctx context.Context, j *lambda.Job) error {
	if j == nil || j.ID == "" {
		return lambda.Errorf(lambda.EINVALID, "invocation has no ID")
	}
	if !validStatus(j.Status) {
		return invalidStatus(j.Status)
	}
	normalize(j, s.db.now())
	if s.journal().has(j.ID) {
		// Its claims ran in the writer, as its create did: it stays in
		// the journal until it ended and was flushed, which no UpdateJob
		// can race (only ended jobs are flushed, and only a running job
		// is updated).
		return s.updateJournalJob(ctx, j)
	}
	// The payload never changes: left out, a megabyte is not copied and
	// bound for nothing.
	// Copied deeply: the batched write may run after the caller stopped
	// waiting for it and changed the job.
	c := *j
	c.Payload = nil
	args, err := jobArgs(c.Clone())
	if err != nil {
		return err
	}
	s.fresh().forget(j.ID) // its row is no longer as created
	e, inMemory := s.running().get(j.ID)
	ends := inMemory && j.Status != lambda.StatusRunning
	if inMemory && !ends {
		args[argStatus] = e.stored
		err = s.db.batch(ctx, func(ctx context.Context, tx *sql.Tx) error {
			return s.writeJob(ctx, tx, updateRunningJobQuery, j.ID, args, false)
		})
	} else {
		// Written with the batch's other outcomes (job_outcome.go).
		err = s.db.batchGrouped(ctx, s.outcomes, &outcomeWrite{id: j.ID, ends: ends, args: args})
	}
	switch {
	case !ends:
	case err == nil:
		s.running().finish(j.ID)
	case lambda.ErrorCode(err) == lambda.ENOTFOUND:
		s.running().remove(j.ID)
	default:
		// Not written: the job stays running, until the next start
		// counts its attempt, as a job left running in the rows was.
		s.running().setWritten(j.ID, false)
	}
	return err
}

// writeJob runs query, updateJobQuery or updateRunningJobQuery, with
// args, jobArgs of job id, and marks the job's outcome written in the
// overlay if it ends.
func (s *JobStore) writeJob(ctx context.Context, tx *sql.Tx, query, id string, args []any, ends bool) error {
	// Numbered parameters are positions in jobColumns; the identity and
	// the request (ID, function, payload, key, schedule...) stay.
	res, err := s.db.exec(ctx, tx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlite: update invocation %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: update invocation %q: %w", id, err)
	} else if n == 0 {
		return jobNotFound(id)
	}
	if ends {
		s.running().setWritten(id, true)
	}
	return nil
}

// updateJobQuery writes what UpdateJob changes; its numbered parameters
// are positions in jobColumns. The claim it ends, if any, goes with it.
const updateJobQuery = `UPDATE jobs SET status = ?7, attempts = ?8, next_run_at = ?15,
	started_at = ?16, finished_at = ?17, duration = ?18, version = ?19, http_status = ?20, response = ?21,
	response_truncated = ?22, function_error = ?23, error_type = ?24, error_message = ?25, history = ?26,
	destination = ?28, claimed_at = NULL
	WHERE id = ?1`

// updateRunningJobQuery is updateJobQuery for a job that goes on running:
// its claim stays.
var updateRunningJobQuery = strings.Replace(updateJobQuery, ", claimed_at = NULL", "", 1)
