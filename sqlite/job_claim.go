package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/lambdahq/lambda"
)

// ClaimJobs marks up to limit of function's due jobs running and returns
// them whole, oldest NextRunAt first, then in creation order. StartedAt is
// set to now on a job's first claim. A job of a schedule with overlap skip
// or queue is passed over while another job of its schedule runs, including
// one taken by the same call. Claims go through the group commit, so two
// concurrent calls never take the same job.
//
// The running status is kept in memory (job_running.go): the rows stay
// waiting, and the claim sets only their claimed_at, for the next start to
// know which jobs a crash interrupted. A batch of claims alone does not wait
// for an fsync (DB.batchRelaxed): a claim lost to a power failure leaves its
// jobs queued, to run again, as after a crash, without the attempt counted.
func (s *JobStore) ClaimJobs(ctx context.Context, function string, now time.Time, limit int) ([]*lambda.Job, error) {
	if limit <= 0 || function == "" {
		return nil, nil
	}
	var claimed []*lambda.Job
	// The claim is waited for even when ctx ends (bounded by the batch's
	// own timeout): a caller that gave up while the batch ran its claim
	// could neither read what it took nor take it back, and the jobs would
	// stay claimed in the overlay and the rows, run by no one.
	err := s.db.batchRelaxed(context.WithoutCancel(ctx), func(ctx context.Context, tx *sql.Tx) error {
		var err error
		claimed, err = s.claimJobs(ctx, tx, function, now, limit)
		return err
	})
	if err != nil {
		// The batch did not commit: the jobs wait, as their rows and the
		// journal say.
		ids := make([]string, len(claimed))
		for i, j := range claimed {
			s.running().remove(j.ID)
			ids[i] = j.ID
		}
		s.journal().unclaim(ids)
		return nil, err
	}
	return claimed, nil
}

// claimQuery marks claimed at ?2 and returns up to ?3 of function ?1's jobs
// due by ?2, oldest NextRunAt first, passing over those running (in
// memory, so claimed; the writer's rows and its overlay agree), and those
// of a schedule with a job running that excludes them (in memory, or
// running in the rows: a Sync job, or one an older server left). One
// statement per claim: each costs more than the rows it touches, and no
// parameter may change its plan (a JSON list of the running jobs did: it
// was compiled again on every claim), nor may a bare ?3 be its LIMIT: once
// the statement is compiled again for any reason (a schema change), SQLite
// (3.47 and later) plans with the bound LIMIT's value and marks the
// statement to be compiled again whenever ?3 is bound anew, so every later
// claim was (sqlite3Reprepare, 3 % of the async phase of a quick bench);
// CAST(?3 AS INTEGER) is an expression it does not look into. RETURNING
// gives no order.
const claimQuery = `UPDATE jobs SET claimed_at = ?2 WHERE seq IN (SELECT seq FROM jobs j
	WHERE function = ?1 AND status IN ` + sqlWaiting + ` AND next_run_at <= ?2 AND claimed_at IS NULL
	AND NOT (schedule <> '' AND overlap IN ('skip', 'queue') AND EXISTS (
		SELECT 1 FROM jobs r WHERE r.schedule = j.schedule AND r.schedule <> ''
			AND (r.status = 'running' OR r.status IN ` + sqlWaiting + ` AND r.claimed_at IS NOT NULL)))
	AND (next_run_at, seq) < (?4, ?5)
	ORDER BY next_run_at, seq LIMIT CAST(?3 AS INTEGER))
	RETURNING seq, id, ` + sqlAsCreated

// sqlAsCreated is true of a row whose job is as it was created: no attempt,
// no history, never started, queued. Such a job kept in memory
// (job_fresh.go) is its row.
const sqlAsCreated = `attempts = 0 AND history = '[]' AND started_at IS NULL AND status = 'queued'`

// claimedJobQuery reads a claimed job not kept in memory.
const claimedJobQuery = `SELECT ` + jobColumns + ` FROM jobs WHERE seq = ?`

// unclaimQuery takes back a claim of the job with seq ?1.
const unclaimQuery = `UPDATE jobs SET claimed_at = NULL WHERE seq = ?1`

// claimJobs takes the jobs in tx and adds them to the overlay. On an error
// it returns the jobs it added, for the caller to take back.
func (s *JobStore) claimJobs(ctx context.Context, tx *sql.Tx, function string, now time.Time, limit int) ([]*lambda.Job, error) {
	var (
		claimed []*lambda.Job
		nowText = formatTime(now)
		seqs    = map[string]int64{}
	)
	// The journal's due jobs (job_journal.go) and the table's are taken in
	// one order: when the journal has limit of them, the table's claim
	// takes only those before its last.
	mem := s.journal().due(function, now, limit)
	bound := claimBound{next: maxTimeText, seq: math.MaxInt64}
	if len(mem) == limit {
		last := mem[limit-1]
		bound = claimBound{next: formatTime(last.job.NextRunAt), seq: last.seq}
	}
	// Schedules with a job taken by this call.
	schedules := map[string]bool{}
	for len(claimed) < limit {
		taken, err := s.takeJobs(ctx, tx, function, nowText, limit-len(claimed), bound)
		if err != nil {
			return claimed, err
		}
		passed := false
		for _, t := range taken {
			j := t.job
			exclusive := exclusiveOverlap(j.Schedule, j.Overlap)
			if exclusive && schedules[j.Schedule] {
				// Two jobs of one such schedule came in one page: the
				// later waits for the earlier, which the next page's
				// query sees claimed.
				if _, err := s.db.exec(ctx, tx, unclaimQuery, t.seq); err != nil {
					return claimed, fmt.Errorf("sqlite: claim invocations of %q: %w", function, err)
				}
				passed = true
				continue
			}
			if j.StartedAt == nil {
				t := now
				j.StartedAt = &t
			}
			seqs[j.ID] = t.seq
			s.running().add(&runningJob{id: j.ID, function: function, seq: t.seq, stored: j.Status,
				schedule: j.Schedule, exclusive: exclusive, started: *j.StartedAt})
			j.Status = lambda.StatusRunning
			if exclusive {
				schedules[j.Schedule] = true
			}
			claimed = append(claimed, j)
		}
		if !passed {
			break // every due job not passed over is taken
		}
	}
	if len(mem) == 0 {
		return claimed, nil
	}
	claimed, giveBack, err := s.claimJournal(ctx, tx, mem, claimed, seqs, now, nowText, limit)
	for _, j := range giveBack {
		// Due after the journal's jobs taken: left for the next claim.
		s.running().remove(j.ID)
		if _, err := s.db.exec(ctx, tx, unclaimQuery, seqs[j.ID]); err != nil {
			return claimed, fmt.Errorf("sqlite: claim invocations of %q: %w", function, err)
		}
	}
	return claimed, err
}

// claimBound is the claim's bound in its order: only jobs before it.
type claimBound struct {
	next string
	seq  int64
}

// maxTimeText is after every stored time.
const maxTimeText = "9999-12-31T23:59:59.999999999Z"

// takenJob is a row of claimQuery.
type takenJob struct {
	seq int64
	job *lambda.Job
}

// takeJobs runs claimQuery and returns its rows in the claim's order.
func (s *JobStore) takeJobs(ctx context.Context, tx *sql.Tx, function, now string, limit int, bound claimBound) ([]takenJob, error) {
	rows, err := s.db.query(ctx, tx, claimQuery, function, now, limit, bound.next, bound.seq)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim invocations of %q: %w", function, err)
	}
	defer rows.Close()
	type row struct {
		seq     int64
		id      string
		created bool
	}
	var claimed []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.seq, &r.id, &r.created); err != nil {
			return nil, fmt.Errorf("sqlite: claim invocations of %q: %w", function, err)
		}
		claimed = append(claimed, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: claim invocations of %q: %w", function, err)
	}
	rows.Close()
	taken := make([]takenJob, 0, len(claimed))
	for _, r := range claimed {
		t := takenJob{seq: r.seq}
		if j := s.fresh().take(r.seq, r.id); j != nil && r.created {
			t.job = j
		} else if t.job, err = scanJob(s.db.queryRow(ctx, tx, claimedJobQuery, r.seq)); err != nil {
			return nil, fmt.Errorf("sqlite: claim invocations of %q: %w", function, err)
		}
		taken = append(taken, t)
	}
	slices.SortFunc(taken, func(a, b takenJob) int {
		if c := a.job.NextRunAt.Compare(b.job.NextRunAt); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return taken, nil
}

// seqScanner scans a row of seq followed by jobColumns.
type seqScanner struct {
	rows *sql.Rows
	seq  *int64
}

func (s seqScanner) Scan(dest ...any) error {
	return s.rows.Scan(append([]any{s.seq}, dest...)...)
}
