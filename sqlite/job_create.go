package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/lambdahq/lambda"
)

// CreateJob stores n.Job after checking, in the same transaction: that its
// function exists, its idempotency key, its schedule's overlap policy and
// the function's limit of queued jobs (n.MaxQueued; 0 is
// lambda.DefaultMaxQueued; Sync jobs, which never wait in the queue, are
// not counted against it). It fills n.Job's ID (a new UUID), CreatedAt
// (now) and NextRunAt (CreatedAt) when they are zero, and sets its Status:
// queued, or running with StartedAt = CreatedAt for a Sync job. CreatedAt
// is also the time the idempotency window is checked at. With n.Start, an
// async job is created running (StartedAt = CreatedAt) when the same
// transaction finds none of its function's jobs waiting.
//
// With a key that names a job of the function created less than
// lambda.IdempotencyWindow ago, it returns that job, whole, with created
// false, or EIDEMPOTENCY (naming the job with a lambda.KeyOwner) if the
// payload hashes differ. A Sync job that ended failed without its event
// reaching the function (Version 0: throttled, or the platform failed)
// frees its key, as does its expiry.
func (s *JobStore) CreateJob(ctx context.Context, n lambda.NewJob) (*lambda.Job, bool, error) {
	j := n.Job
	if j == nil || j.Function == "" {
		return nil, false, lambda.Errorf(lambda.EINVALID, "invocation has no function name")
	}
	if err := lambda.ValidateIdempotencyKey(j.IdempotencyKey); err != nil {
		return nil, false, err
	}
	if j.ID == "" {
		j.ID = lambda.NewRequestID()
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = s.db.now()
	}
	if j.NextRunAt.IsZero() {
		j.NextRunAt = j.CreatedAt
	}
	j.Status = lambda.StatusQueued
	if j.Sync {
		j.Status = lambda.StatusRunning
		if j.StartedAt == nil {
			t := j.CreatedAt
			j.StartedAt = &t
		}
	}
	maxQueued := n.MaxQueued
	if maxQueued <= 0 {
		maxQueued = lambda.DefaultMaxQueued
	}
	c := j.Clone()
	normalize(c, c.CreatedAt)
	args, err := jobArgs(c)
	if err != nil {
		return nil, false, err
	}
	var (
		existing *lambda.Job
		started  bool
		w        *createWrite
	)
	if groupable(c) {
		// Written with the batch's other creates (job_create_group.go).
		w = &createWrite{job: c, args: args, maxQueued: maxQueued, start: n.Start}
		err = s.db.batchGrouped(ctx, s.creates, w)
		started = w.started
	} else {
		err = s.db.batch(ctx, func(ctx context.Context, tx *sql.Tx) error {
			var err error
			existing, started, err = s.createJob(ctx, tx, c, args, maxQueued, n.Start)
			return err
		})
	}
	if err != nil {
		if started {
			s.running().remove(c.ID) // not committed: nothing runs
		}
		if w != nil {
			s.journal().remove(w.journaled)
		}
		return nil, false, err
	}
	if existing != nil {
		return existing, false, nil
	}
	if started {
		t := j.CreatedAt
		j.Status, j.StartedAt = lambda.StatusRunning, &t
	}
	return j, true, nil
}

// Position in jobColumns (and jobArgs) of the status, which UpdateJob
// keeps for a job that stays running.
var argStatus = jobColumn("status")

// jobColumn returns the position of name in jobColumns.
func jobColumn(name string) int {
	for i, c := range strings.Split(jobColumns, ",") {
		if strings.TrimSpace(c) == name {
			return i
		}
	}
	panic("sqlite: no job column " + name)
}

// insertJobQuery stores a job: jobColumns, then claimed_at.
var insertJobQuery = `INSERT INTO jobs (` + jobColumns + `, claimed_at) VALUES (` + jobPlaceholders + `, ?)`

// insertWaitingJobQuery stores an async job, jobColumns in ?1 to ?N (N is
// jobColumnCount), unless its function's waiting jobs (job_counts, less
// ?N+2 running in memory) number ?N+1 or more; claimed at its creation
// (started) if ?N+3 and none waits. It returns the job's seq and whether it
// started, or no row. Its arguments: jobArgs, then waitingArgs.
var insertWaitingJobQuery = `WITH waiting(n) AS (SELECT COALESCE(SUM(n), 0) - ?` + param(jobColumnCount+2) + ` FROM job_counts
		WHERE function = ?` + param(jobColumn("function")+1) + ` AND status IN ` + sqlWaiting + `)
	INSERT INTO jobs (` + jobColumns + `, claimed_at)
	SELECT ` + numberedParams(jobColumnCount) + `, CASE WHEN ?` + param(jobColumnCount+3) + ` AND n <= 0
		THEN ?` + param(jobColumn("created_at")+1) + ` END FROM waiting WHERE n < ?` + param(jobColumnCount+1) + `
	RETURNING seq, claimed_at IS NOT NULL`

func param(n int) string { return strconv.Itoa(n) }

// jobColumnCount is the number of jobColumns.
var jobColumnCount = strings.Count(jobColumns, ",") + 1

// numberedParams returns "?1, ?2, ... ?n".
func numberedParams(n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = "?" + strconv.Itoa(i+1)
	}
	return strings.Join(p, ", ")
}

// queueFull is the error of a create refused by the function's limit of
// waiting jobs, which it counts for the message.
func (s *JobStore) queueFull(ctx context.Context, tx *sql.Tx, function string) error {
	var queued int
	if err := s.db.queryRow(ctx, tx, queuedQuery, function).Scan(&queued); err != nil {
		return fmt.Errorf("sqlite: count queued invocations of %q: %w", function, err)
	}
	return queueFullError(function, queued-s.running().inflight(function)+s.journal().waitingCount(function))
}

// queueFullError is the error of a create refused by function's limit of
// waiting jobs, of which it has queued.
func queueFullError(function string, queued int) error {
	return lambda.Throttled(lambda.ThrottleAsyncQueueFull, fmt.Sprintf("function %q has %d queued invocations, its limit: retry later or raise --max-queued-jobs",
		function, max(queued, 0)))
}

// Queries of CreateJob's checks. The queued count reads job_counts, kept
// by triggers, rather than counting up to 100,000 rows on every create.
const (
	queuedQuery       = `SELECT COALESCE(SUM(n), 0) FROM job_counts WHERE function = ? AND status IN ` + sqlWaiting
	overlapSkipQuery  = `SELECT seq, id, status FROM jobs WHERE schedule = ? AND schedule <> '' AND status IN ` + sqlPending + ` LIMIT 1`
	overlapQueueQuery = `SELECT seq, id, status FROM jobs WHERE schedule = ? AND schedule <> '' AND status IN ` + sqlWaiting
)

// createJob runs CreateJob's checks and insert in tx; it returns the job
// an idempotency key named instead, if any, and whether it created the
// job running (start, and nothing of the function waits). A job created
// running is stored queued and claimed, running in memory (job_running.go),
// as a claimed one; if started comes back with an error, the caller takes
// it out of the overlay.
func (s *JobStore) createJob(ctx context.Context, tx *sql.Tx, j *lambda.Job, args []any, maxQueued int, start bool) (prior *lambda.Job, started bool, err error) {
	// The function's existence is checked by the insert's foreign key:
	// the checks before find nothing for a function that does not exist
	// (its keys and jobs went with it), and a statement less per create
	// is a few percent more creates per second.
	if s.journal().has(j.ID) {
		// The unique index of jobs does not see the journal's.
		return nil, false, lambda.Errorf(lambda.ECONFLICT, "invocation %q already exists: give each invocation its own ID", j.ID)
	}
	if j.IdempotencyKey != "" {
		prior, err := s.checkIdempotencyKey(ctx, tx, j)
		if prior != nil || err != nil {
			return prior, false, err
		}
	}
	if err := s.checkOverlap(ctx, tx, j); err != nil {
		return nil, false, err
	}
	var seq int64
	if j.Sync {
		var res sql.Result
		if res, err = s.db.exec(ctx, tx, insertJobQuery, append(args, nil)...); err == nil {
			seq, err = res.LastInsertId()
		}
	} else {
		// One statement checks the limit, decides whether the job starts
		// and inserts it: rows of jobs running in memory wait only in
		// the counts, and a job created running is claimed at its
		// creation (claimed_at), as ClaimJobs would.
		startable := start && j.Schedule == "" && j.Status == lambda.StatusQueued
		err = s.db.queryRow(ctx, tx, insertWaitingJobQuery,
			append(args, maxQueued, s.running().inflight(j.Function)-s.journal().waitingCount(j.Function), startable)...).Scan(&seq, &started)
		if err == sql.ErrNoRows {
			return nil, false, s.queueFull(ctx, tx, j.Function)
		}
	}
	switch {
	case isForeignKeyViolation(err):
		return nil, false, lambda.Errorf(lambda.ENOTFOUND, "function %q not found: deploy it first, or check the name with `lambda list`", j.Function)
	case isPrimaryKeyViolation(err):
		return nil, false, lambda.Errorf(lambda.ECONFLICT, "invocation %q already exists: give each invocation its own ID", j.ID)
	case err != nil:
		return nil, false, fmt.Errorf("sqlite: insert invocation %q: %w", j.ID, err)
	}
	if started {
		s.running().add(&runningJob{id: j.ID, function: j.Function, seq: seq, stored: lambda.StatusQueued, started: j.CreatedAt})
	}
	if j.IdempotencyKey != "" {
		_, err := s.db.exec(ctx, tx, `INSERT INTO idempotency_keys (function, key, job_id, payload_hash, expires_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (function, key) DO UPDATE SET
			job_id = excluded.job_id, payload_hash = excluded.payload_hash, expires_at = excluded.expires_at`,
			j.Function, j.IdempotencyKey, j.ID, j.PayloadHash, formatTime(j.CreatedAt.Add(lambda.IdempotencyWindow)))
		if err != nil {
			return nil, started, fmt.Errorf("sqlite: record idempotency key of invocation %q: %w", j.ID, err)
		}
	}
	return nil, started, nil
}

// checkIdempotencyKey returns the job j's key names, if it still does.
// A key past its window, or whose Sync job failed before running the
// function, no longer names anything: the insert that follows replaces it.
func (s *JobStore) checkIdempotencyKey(ctx context.Context, tx *sql.Tx, j *lambda.Job) (*lambda.Job, error) {
	var jobID, hash, expires string
	err := s.db.queryRow(ctx, tx, `SELECT job_id, payload_hash, expires_at FROM idempotency_keys
		WHERE function = ? AND key = ?`, j.Function, j.IdempotencyKey).Scan(&jobID, &hash, &expires)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find idempotency key of %q: %w", j.Function, err)
	}
	exp, err := parseTime(expires)
	if err != nil {
		return nil, err
	}
	if !j.CreatedAt.Before(exp) {
		return nil, nil
	}
	prior, err := s.findJob(ctx, tx, jobID)
	if lambda.ErrorCode(err) == lambda.ENOTFOUND {
		return nil, nil // unreachable while the cascade holds
	}
	if err != nil {
		return nil, err
	}
	if prior.Sync && prior.Status == lambda.StatusFailed && prior.Version == 0 {
		return nil, nil
	}
	if hash != j.PayloadHash {
		msg := fmt.Sprintf("idempotency key %q was used for invocation %s with another payload or qualifier: use a new key for a new request", j.IdempotencyKey, prior.ID)
		return nil, &lambda.Error{Code: lambda.EIDEMPOTENCY, Message: msg, Err: &lambda.KeyOwner{ID: prior.ID}}
	}
	return prior, nil
}

// checkOverlap refuses a tick of a schedule whose overlap policy says it
// must not join the jobs of the schedule already there. A job running in
// memory is running, whatever its row says.
func (s *JobStore) checkOverlap(ctx context.Context, tx *sql.Tx, j *lambda.Job) error {
	var query, rule string
	switch {
	case j.Schedule == "":
		return nil
	case j.Overlap == lambda.OverlapSkip:
		query, rule = overlapSkipQuery, "with overlap skip, a tick is skipped while the previous one is pending"
	case j.Overlap == lambda.OverlapQueue:
		query, rule = overlapQueueQuery, "with overlap queue, at most one tick waits for the running one"
	default:
		return nil
	}
	running := s.running().snapshot(j.Function)
	rows, err := s.db.query(ctx, tx, query, j.Schedule)
	if err != nil {
		return fmt.Errorf("sqlite: find pending invocations of schedule %q: %w", j.Schedule, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq        int64
			id, status string
		)
		if err := rows.Scan(&seq, &id, &status); err != nil {
			return fmt.Errorf("sqlite: find pending invocations of schedule %q: %w", j.Schedule, err)
		}
		if e, ok := running[seq]; ok && !e.written {
			if j.Overlap == lambda.OverlapQueue {
				continue // it runs: one more may wait for it
			}
			status = lambda.StatusRunning
		}
		return lambda.Errorf(lambda.ECONFLICT, "schedule %q already has invocation %s %s: %s", j.Schedule, id, status, rule)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: find pending invocations of schedule %q: %w", j.Schedule, err)
	}
	return nil
}
