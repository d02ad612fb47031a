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
// running, at most ?5.
const claimQuery = `SELECT seq, ` + jobColumns + ` FROM jobs j
	WHERE function = ?1 AND status IN ` + sqlWaiting + ` AND next_run_at <= ?2
	AND (next_run_at, seq) > (?3, ?4)
	AND NOT (schedule <> '' AND overlap IN ('skip', 'queue') AND EXISTS (
		SELECT 1 FROM jobs r WHERE r.schedule = j.schedule AND r.schedule <> '' AND r.status = 'running'))
	ORDER BY next_run_at, seq LIMIT ?5`

// claimPage is how many due jobs a claim reads at a time beyond its limit,
// so that a few jobs passed over do not cost another query.
const claimPage = 16

func (s *JobStore) claimJobs(ctx context.Context, tx *sql.Tx, function string, now time.Time, limit int) ([]*lambda.Job, error) {
	var (
		claimed []*lambda.Job
		// Schedules with a job claimed by this call.
		running = map[string]bool{}
		// Where the next page starts: after (afterRun, afterSeq).
		afterRun = ""
		afterSeq int64
		nowText  = formatTime(now)
	)
	for len(claimed) < limit {
		page := limit - len(claimed) + claimPage
		rows, err := s.db.query(ctx, tx, claimQuery, function, nowText, afterRun, afterSeq, page)
		if err != nil {
			return nil, fmt.Errorf("sqlite: find due invocations of %q: %w", function, err)
		}
		var due []*lambda.Job
		var seqs []int64
		for rows.Next() {
			var seq int64
			j, err := scanJob(seqScanner{rows, &seq})
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: find due invocations of %q: %w", function, err)
			}
			due, seqs = append(due, j), append(seqs, seq)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("sqlite: find due invocations of %q: %w", function, err)
		}
		for i, j := range due {
			if len(claimed) == limit {
				break
			}
			afterRun, afterSeq = formatTime(j.NextRunAt), seqs[i]
			exclusive := j.Schedule != "" && (j.Overlap == lambda.OverlapSkip || j.Overlap == lambda.OverlapQueue)
			if exclusive && running[j.Schedule] {
				continue
			}
			if j.StartedAt == nil {
				t := now
				j.StartedAt = &t
			}
			j.Status = lambda.StatusRunning
			if _, err := s.db.exec(ctx, tx, `UPDATE jobs SET status = ?, started_at = ? WHERE seq = ?`,
				j.Status, formatNullTime(j.StartedAt), seqs[i]); err != nil {
				return nil, fmt.Errorf("sqlite: claim invocation %q: %w", j.ID, err)
			}
			if exclusive {
				running[j.Schedule] = true
			}
			claimed = append(claimed, j)
		}
		if len(due) < page {
			break // nothing more is due
		}
	}
	return claimed, nil
}

// seqScanner scans a row of seq followed by jobColumns.
type seqScanner struct {
	rows *sql.Rows
	seq  *int64
}

func (s seqScanner) Scan(dest ...any) error {
	return s.rows.Scan(append([]any{s.seq}, dest...)...)
}
