package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/lambdahq/lambda"
)

// The creates of a batch that need no check of their own (async, without
// an idempotency key or a schedule: what submissions mostly are) are
// written with one INSERT per up to maxCreateRows jobs (a batchGroup), as
// outcomes are (job_outcome.go). The queue limit and the start decision,
// which insertWaitingJobQuery makes per job, are made here in the order of
// the batch from one read of each function's waiting count.

// createWrite is one grouped CreateJob.
type createWrite struct {
	job       *lambda.Job // normalized, with its ID
	args      []any       // jobArgs
	maxQueued int
	start     bool // NewJob.Start
	// started: written by the batch, read by CreateJob after it: the
	// job was created running (claimed at its creation).
	started bool
	// journaled: the job's entry in the journal's memory, if the batch
	// wrote it there (job_journal.go).
	journaled *journalJob
}

// groupable reports whether j's create may be written with others: it
// checks nothing that another create of the batch could change but the
// queue limit and the start, which the group decides.
func groupable(j *lambda.Job) bool {
	return !j.Sync && j.IdempotencyKey == "" && j.Schedule == "" && j.Status == lambda.StatusQueued
}

// maxCreateRows bounds the jobs of one insert: a power of two
// (groupChunk).
const maxCreateRows = 32

// createQueries[n] inserts n jobs: jobColumns then claimed_at, a row
// each. It returns each one's seq and ID.
var createQueries = func() []string {
	row := "(" + jobPlaceholders + ", ?)"
	q := make([]string, maxCreateRows+1)
	for n := 1; n <= maxCreateRows; n++ {
		q[n] = `INSERT INTO jobs (` + jobColumns + `, claimed_at) VALUES ` +
			strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") + ` RETURNING seq, id`
	}
	return q
}()

// createGroup returns the batch group of s's grouped creates.
func (s *JobStore) createGroup() *batchGroup {
	return &batchGroup{
		run: func(ctx context.Context, tx *sql.Tx, args []any) ([]error, error) {
			writes := make([]*createWrite, len(args))
			for i, a := range args {
				writes[i] = a.(*createWrite)
			}
			errs, err := s.createJobs(ctx, tx, writes)
			if err != nil {
				// Rolled back: nothing of the group runs.
				for _, w := range writes {
					if w.started {
						s.running().remove(w.job.ID)
						w.started = false
					}
					s.journal().remove(w.journaled)
					w.journaled = nil
				}
			}
			return errs, err
		},
		single: func(ctx context.Context, tx *sql.Tx, arg any) error {
			w := arg.(*createWrite)
			var err error
			_, w.started, err = s.createJob(ctx, tx, w.job, w.args, w.maxQueued, w.start)
			return err
		},
		lingerLoaded: true,
	}
}

// createJobs writes a batch's grouped creates and returns each one's
// error: a full queue refuses a job, as insertWaitingJobQuery would have in
// the batch's order. An error of the whole (an unknown function, an ID
// taken) leaves the batch to write them one at a time, which says which.
func (s *JobStore) createJobs(ctx context.Context, tx *sql.Tx, writes []*createWrite) ([]error, error) {
	// Each function's waiting jobs: rows waiting, less those running in
	// memory (whose rows wait until their outcome).
	waiting := map[string]int{}
	for _, w := range writes {
		f := w.job.Function
		if _, ok := waiting[f]; ok {
			continue
		}
		var n int
		if err := s.db.queryRow(ctx, tx, queuedQuery, f).Scan(&n); err != nil {
			return nil, fmt.Errorf("sqlite: count queued invocations of %q: %w", f, err)
		}
		waiting[f] = n - s.running().inflight(f) + s.journal().waitingCount(f)
	}
	errs := make([]error, len(writes))
	var insert []*createWrite
	for i, w := range writes {
		f := w.job.Function
		switch n := waiting[f]; {
		case n >= w.maxQueued:
			errs[i] = queueFullError(f, n)
			continue
		case w.start && n <= 0:
			w.started = true // it runs: the waiting count stays
		default:
			waiting[f] = n + 1
		}
		insert = append(insert, w)
	}
	if len(insert) > 0 && !s.db.batcher.noJournal && s.journal().fits(len(insert), createsBytes(insert)) {
		return errs, s.journalCreates(ctx, tx, insert)
	}
	for rest := insert; len(rest) > 0; {
		chunk := rest[:groupChunk(len(rest), maxCreateRows)]
		rest = rest[len(chunk):]
		if err := s.insertJobs(ctx, tx, chunk); err != nil {
			return nil, err
		}
	}
	return errs, nil
}

// insertJobs inserts a chunk of grouped creates with one statement and
// adds those that started to the running overlay.
func (s *JobStore) insertJobs(ctx context.Context, tx *sql.Tx, chunk []*createWrite) error {
	values := make([]any, 0, len(chunk)*(jobColumnCount+1))
	for _, w := range chunk {
		var claimed any
		if w.started {
			claimed = w.args[jobColumn("created_at")]
		}
		values = append(append(values, w.args...), claimed)
	}
	rows, err := s.db.query(ctx, tx, createQueries[len(chunk)], values...)
	if err != nil {
		return fmt.Errorf("sqlite: insert invocations: %w", err)
	}
	defer rows.Close()
	seqs := make(map[string]int64, len(chunk))
	for rows.Next() {
		var (
			seq int64
			id  string
		)
		if err := rows.Scan(&seq, &id); err != nil {
			return fmt.Errorf("sqlite: insert invocations: %w", err)
		}
		seqs[id] = seq
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: insert invocations: %w", err)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("sqlite: insert invocations: %w", err)
	}
	for _, w := range chunk {
		seq, ok := seqs[w.job.ID]
		if !ok {
			return fmt.Errorf("sqlite: insert invocations: invocation %q not returned", w.job.ID)
		}
		j := w.job
		if w.started {
			s.running().add(&runningJob{id: j.ID, function: j.Function, seq: seq, stored: lambda.StatusQueued, started: j.CreatedAt})
		} else {
			// Kept for its claim (job_fresh.go). Should the batch not
			// commit, its seq may go to another job: a claim checks the ID.
			s.fresh().add(seq, freshCopy(j))
		}
	}
	return nil
}
