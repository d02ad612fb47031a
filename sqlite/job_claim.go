package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lambdahq/lambda"
)

// ClaimJobs marks up to limit of function's due jobs running and returns
// them whole, oldest NextRunAt first, then in creation order. StartedAt is
// set to now on a job's first claim. A job of a schedule with overlap skip
// or queue is passed over while another job of its schedule runs, including
// one taken by the same call. Claims go through the group commit, so two
// concurrent calls never take the same job. A batch of claims alone does not
// wait for an fsync (DB.batchRelaxed): a claim lost to a power failure
// leaves its jobs queued, to run again, as after a crash.
func (s *JobStore) ClaimJobs(ctx context.Context, function string, now time.Time, limit int) ([]*lambda.Job, error) {
	if limit <= 0 || function == "" {
		return nil, nil
	}
	var claimed []*lambda.Job
	err := s.db.batchRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		claimed, err = s.claimJobs(ctx, tx, function, now, limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}

// claimQuery reads a page of function (?1)'s jobs due by ?2, after
// (next_run_at, seq) (?3, ?4), passing over those whose schedule has a job
// running, at most ?5. It reads what the choice needs, not the payloads: a
// page holds jobs this claim may not take, and payloads weigh up to 1 MB.
const claimQuery = `SELECT seq, next_run_at, schedule, overlap FROM jobs j
	WHERE function = ?1 AND status IN ` + sqlWaiting + ` AND next_run_at <= ?2
	AND (next_run_at, seq) > (?3, ?4)
	AND NOT (schedule <> '' AND overlap IN ('skip', 'queue') AND EXISTS (
		SELECT 1 FROM jobs r WHERE r.schedule = j.schedule AND r.schedule <> '' AND r.status = 'running'))
	ORDER BY next_run_at, seq LIMIT ?5`

// takeQuery marks the job with seq ?1 running, started at ?2 unless it
// started before, and returns it whole.
const takeQuery = `UPDATE jobs SET status = 'running', started_at = COALESCE(started_at, ?2) WHERE seq = ?1
	RETURNING ` + jobColumns

// claimPage is how many due jobs a claim reads at a time beyond its limit,
// so that a few jobs passed over do not cost another query.
const claimPage = 16

// dueJob is a row of claimQuery.
type dueJob struct {
	seq                     int64
	next, schedule, overlap string
}

func (s *JobStore) claimJobs(ctx context.Context, tx *sql.Tx, function string, now time.Time, limit int) ([]*lambda.Job, error) {
	var (
		claimed []*lambda.Job
		// Schedules with a job claimed by this call.
		running = map[string]bool{}
		after   dueJob // where the next page starts
		nowText = formatTime(now)
	)
	for len(claimed) < limit {
		page := limit - len(claimed) + claimPage
		due, err := s.dueJobs(ctx, tx, function, nowText, after, page)
		if err != nil {
			return nil, err
		}
		for _, d := range due {
			if len(claimed) == limit {
				break
			}
			after = d
			exclusive := d.schedule != "" && (d.overlap == lambda.OverlapSkip || d.overlap == lambda.OverlapQueue)
			if exclusive && running[d.schedule] {
				continue
			}
			j, err := scanJob(s.db.queryRow(ctx, tx, takeQuery, d.seq, nowText))
			if err != nil {
				return nil, fmt.Errorf("sqlite: claim an invocation of %q: %w", function, err)
			}
			if exclusive {
				running[d.schedule] = true
			}
			claimed = append(claimed, j)
		}
		if len(due) < page {
			break // nothing more is due
		}
	}
	return claimed, nil
}

// dueJobs reads a page of claimQuery.
func (s *JobStore) dueJobs(ctx context.Context, tx *sql.Tx, function, now string, after dueJob, page int) ([]dueJob, error) {
	rows, err := s.db.query(ctx, tx, claimQuery, function, now, after.next, after.seq, page)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find due invocations of %q: %w", function, err)
	}
	defer rows.Close()
	var due []dueJob
	for rows.Next() {
		var d dueJob
		if err := rows.Scan(&d.seq, &d.next, &d.schedule, &d.overlap); err != nil {
			return nil, fmt.Errorf("sqlite: find due invocations of %q: %w", function, err)
		}
		due = append(due, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: find due invocations of %q: %w", function, err)
	}
	return due, nil
}

// seqScanner scans a row of seq followed by jobColumns.
type seqScanner struct {
	rows *sql.Rows
	seq  *int64
}

func (s seqScanner) Scan(dest ...any) error {
	return s.rows.Scan(append([]any{s.seq}, dest...)...)
}
