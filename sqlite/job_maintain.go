package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/lambdahq/lambda"
)

// A sync job's version is written before its event is sent: one with a
// version may have run, and its outcome is unknown.
const endSyncQuery = `UPDATE jobs SET status = 'failed', finished_at = ?1, error_type = ?2, error_message = CASE
		WHEN version = 0 THEN 'the server stopped before the event reached the function, which did not run: call it again'
		ELSE 'the server stopped during invocation ' || id || ' of version ' || version || ' of function ' || function ||
			': whether the function finished is unknown, so this idempotency key answers this failure rather than run it again.' ||
			' Check what it did (lambda logs ' || function || ' --invocation ' || id || '), and call again with a new key if it must run'
		END
		WHERE status = 'running' AND sync`

// interruptedQuery finds the async jobs the last server was running: the
// waiting rows it left claimed, and rows left running by a server that
// kept the status in the rows (before migration 0009). The first part
// reads every waiting row (jobs_due), once per start.
const interruptedQuery = `SELECT seq, claimed_at FROM jobs WHERE status IN ` + sqlWaiting + ` AND claimed_at IS NOT NULL
	UNION ALL SELECT seq, COALESCE(started_at, created_at) FROM jobs WHERE status = 'running' AND NOT sync`

// RequeueRunning puts every async job left running (the server stopped
// during it) back in the queue, NextRunAt kept, so that it goes first, with
// the attempt it was in counted (lambda.Job.Interrupted): a job whose run
// kills the server runs at most its tries' worth of times. Every Sync job
// left running ends failed (EUNAVAILABLE), its caller long gone. One whose
// event never reached the function (Version 0) thereby frees its
// idempotency key; one that had a version may have run, so its key stays
// bound to that failure, which a repeat replays: an idempotency key never
// runs a function twice. It returns how many jobs it requeued. It is the
// start of a server: the running jobs the store kept in memory are
// forgotten.
func (s *JobStore) RequeueRunning(ctx context.Context, now time.Time) (int, error) {
	// The journal's jobs go to their rows first, those running claimed,
	// as the Open after a crash writes them: then they are requeued as any
	// interrupted job.
	if _, err := s.db.flushJournal(ctx, true); err != nil {
		return 0, err
	}
	var requeued int
	err := s.db.batch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		s.running().clear()
		s.fresh().clear()
		var err error
		requeued, err = s.requeueInterrupted(ctx, tx)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, endSyncQuery, formatTime(now), lambda.EUNAVAILABLE)
		if err != nil {
			return fmt.Errorf("sqlite: end running synchronous invocations: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return requeued, nil
}

// requeueInterrupted counts the attempt of each job interruptedQuery finds
// and queues it again.
func (s *JobStore) requeueInterrupted(ctx context.Context, tx *sql.Tx) (int, error) {
	type interrupted struct {
		seq   int64
		start string
	}
	var list []interrupted
	rows, err := tx.QueryContext(ctx, interruptedQuery)
	if err != nil {
		return 0, fmt.Errorf("sqlite: find interrupted invocations: %w", err)
	}
	for rows.Next() {
		var i interrupted
		if err := rows.Scan(&i.seq, &i.start); err != nil {
			rows.Close()
			return 0, fmt.Errorf("sqlite: find interrupted invocations: %w", err)
		}
		list = append(list, i)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("sqlite: find interrupted invocations: %w", err)
	}
	for _, i := range list {
		j, err := scanJob(tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE seq = ?`, i.seq))
		if err != nil {
			return 0, fmt.Errorf("sqlite: find interrupted invocation: %w", err)
		}
		start, err := parseTime(i.start)
		if err != nil {
			return 0, err
		}
		j.Interrupted(start)
		normalize(j, start)
		j.Payload = nil
		args, err := jobArgs(j)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, updateJobQuery, args...); err != nil {
			return 0, fmt.Errorf("sqlite: requeue invocation %q: %w", j.ID, err)
		}
	}
	return len(list), nil
}

// RedriveJobs queues dead jobs of function again, all or nothing: those
// named by ids, or every dead one when ids is empty. A redriven job keeps
// its ID, payload and History; it is queued with Attempts 0, CreatedAt
// and NextRunAt now (its event age starts again: a job that died of age
// would otherwise die again at once), and no StartedAt, FinishedAt or
// outcome. It returns the redriven jobs in creation order, without payload
// and response, as ListJobs.
// ENOTFOUND for an unknown function or an id that is not one of its jobs,
// ECONFLICT for a job that is not dead, and throttled when the redriven
// jobs would take the function past maxQueued waiting jobs (as CreateJob).
func (s *JobStore) RedriveJobs(ctx context.Context, function string, ids []string, now time.Time, maxQueued int) ([]*lambda.Job, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if ids == nil {
		ids = []string{} // "[]", not "null": every dead job
	}
	idList, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode invocation IDs: %w", err)
	}
	// Dead jobs of the journal are redriven from their rows.
	if _, err := s.db.flushJournal(ctx, false); err != nil {
		return nil, err
	}
	var redriven []*lambda.Job
	err = s.db.batch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if err := s.redriveFits(ctx, tx, function, ids, maxQueued); err != nil {
			return err
		}
		redriven, err = redriveJobs(ctx, tx, function, ids, string(idList), now, s.journal().status)
		return err
	})
	if err != nil {
		return nil, err
	}
	return redriven, nil
}

// redriveQuery queues again function ?2's dead jobs, those of the JSON
// array ?3 or all when it is empty, runnable from ?1.
var redriveQuery = `UPDATE jobs SET status = 'queued', attempts = 0, created_at = ?1, next_run_at = ?1,
	started_at = NULL, finished_at = NULL, duration = 0, version = 0, http_status = 0, response = NULL,
	response_truncated = 0, function_error = '', error_type = '', error_message = ''
	WHERE function = ?2 AND status = 'dead' AND (?3 = '[]' OR id IN (SELECT value FROM json_each(?3)))
	RETURNING seq, ` + jobListColumns

func redriveJobs(ctx context.Context, tx *sql.Tx, function string, ids []string, idList string, now time.Time, inJournal func(id, function string) (string, bool)) ([]*lambda.Job, error) {
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM functions WHERE name = ?`, function).Scan(&exists); err != nil {
		return nil, fmt.Errorf("sqlite: find function %q: %w", function, err)
	}
	if exists == 0 {
		return nil, functionNotFound(function)
	}
	for _, id := range ids {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM jobs WHERE id = ? AND function = ?`, id, function).Scan(&status)
		if err == sql.ErrNoRows {
			// In the journal's memory still: it was not dead when the
			// journal was flushed before this batch.
			if st, ok := inJournal(id, function); ok {
				if st == lambda.StatusDead {
					return nil, lambda.Errorf(lambda.ECONFLICT, "invocation %q died a moment ago: redrive it again", id)
				}
				status, err = st, nil
			}
		}
		if err == sql.ErrNoRows {
			return nil, lambda.Errorf(lambda.ENOTFOUND, "invocation %q of function %q not found: list its dead invocations with `lambda invocations %s --status dead`",
				id, function, function)
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite: find invocation %q: %w", id, err)
		}
		if status != lambda.StatusDead {
			return nil, lambda.Errorf(lambda.ECONFLICT, "invocation %q is %s, not dead: only dead invocations can be redriven", id, status)
		}
	}
	rows, err := tx.QueryContext(ctx, redriveQuery, formatTime(now), function, idList)
	if err != nil {
		return nil, fmt.Errorf("sqlite: redrive invocations of %q: %w", function, err)
	}
	defer rows.Close()
	type redriven struct {
		seq int64
		job *lambda.Job
	}
	var list []redriven
	for rows.Next() {
		var r redriven
		var err error
		if r.job, err = scanJob(seqScanner{rows, &r.seq}); err != nil {
			return nil, fmt.Errorf("sqlite: redrive invocations of %q: %w", function, err)
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: redrive invocations of %q: %w", function, err)
	}
	slices.SortFunc(list, func(a, b redriven) int { return cmp.Compare(a.seq, b.seq) })
	jobs := make([]*lambda.Job, len(list))
	for i, r := range list {
		jobs[i] = r.job
	}
	return jobs, nil
}

// pruneChunk bounds the rows one pruning transaction deletes, so that a
// prune of a million jobs holds the writer for milliseconds at a time, not
// for seconds, and other writes get their turn between chunks.
const pruneChunk = 500

// A chunk of jobs that ended before ?, and of keys expired by ?, at most ?.
const (
	pruneJobsQuery = `DELETE FROM jobs WHERE seq IN (SELECT seq FROM jobs
		WHERE status IN ` + sqlEnded + ` AND finished_at < ? LIMIT ?)`
	pruneKeysQuery = `DELETE FROM idempotency_keys WHERE (function, key) IN (SELECT function, key FROM idempotency_keys
		WHERE expires_at <= ? LIMIT ?)`
)

// PruneJobs deletes the jobs that ended (succeeded, failed or dead) before
// before, and the idempotency keys whose window ended by now, pruneChunk
// rows per transaction. It returns how many jobs it deleted; on an error
// or ctx's end, the chunks before stay deleted.
func (s *JobStore) PruneJobs(ctx context.Context, before, now time.Time) (int, error) {
	// Ended jobs of the journal are pruned from their rows.
	if _, err := s.db.flushJournal(ctx, false); err != nil {
		return 0, err
	}
	total := 0
	for {
		n, err := s.pruneChunk(ctx, pruneJobsQuery, formatTime(before))
		total += n
		if err != nil {
			return total, fmt.Errorf("sqlite: prune invocations: %w", err)
		}
		if n < pruneChunk {
			break
		}
	}
	for {
		n, err := s.pruneChunk(ctx, pruneKeysQuery, formatTime(now))
		if err != nil {
			return total, fmt.Errorf("sqlite: prune idempotency keys: %w", err)
		}
		if n < pruneChunk {
			break
		}
	}
	return total, nil
}

// pruneChunk runs one chunk's delete and returns how many rows went.
func (s *JobStore) pruneChunk(ctx context.Context, query, at string) (int, error) {
	var n int64
	err := s.db.batch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, at, pruneChunk)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
