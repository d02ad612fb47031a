package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// The outcomes of a batch are written with one statement per up to
// maxOutcomeRows jobs (a batchGroup): under load, a batch carries the
// outcomes of several jobs, and a statement's fixed cost (its execution
// set up, its savepoint, each page it touches copied to the sub-journal
// once) was most of what each job's own statement cost.

// outcomeWrite is one job's outcome, as UpdateJob writes it.
type outcomeWrite struct {
	id string
	// ends: the job leaves the running overlay with this write, which is
	// marked written in the overlay once its statement ran.
	ends bool
	args []any // jobArgs, for updateJobQuery
}

// maxOutcomeRows bounds the jobs of one outcome statement: a power of two
// (groupChunk).
const maxOutcomeRows = 32

// groupChunk is how many of n rows the next statement of a group writes:
// the largest power of two up to n and max, so that a group's statements
// are of a few sizes only, each kept prepared (compiling an insert into
// jobs, with its triggers and indexes, costs as much as many writes).
func groupChunk(n, max int) int {
	c := 1
	for c*2 <= n && c*2 <= max {
		c *= 2
	}
	return c
}

// outcomeColumns are the columns an outcome writes, id first: the SET of
// updateJobQuery.
var outcomeColumns = []string{"id", "status", "attempts", "next_run_at", "started_at", "finished_at", "duration",
	"version", "http_status", "response", "response_truncated", "function_error", "error_type", "error_message",
	"history", "destination"}

// outcomeArgs are the positions of outcomeColumns in jobArgs.
var outcomeArgs = func() []int {
	p := make([]int, len(outcomeColumns))
	for i, c := range outcomeColumns {
		p[i] = jobColumn(c)
	}
	return p
}()

// outcomeQueries[n] writes n outcomes: a VALUES row of outcomeColumns per
// job, joined to the job by its ID (the unique index), claims cleared. It
// returns the IDs it found.
var outcomeQueries = func() []string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(outcomeColumns)), ", ") + ")"
	set := make([]string, 0, len(outcomeColumns))
	for _, c := range outcomeColumns[1:] {
		set = append(set, c+" = v."+c)
	}
	q := make([]string, maxOutcomeRows+1)
	for n := 1; n <= maxOutcomeRows; n++ {
		q[n] = `WITH v(` + strings.Join(outcomeColumns, ", ") + `) AS (VALUES ` +
			strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") + `)
	UPDATE jobs SET ` + strings.Join(set, ", ") + `, claimed_at = NULL FROM v WHERE jobs.id = v.id
	RETURNING jobs.id`
	}
	return q
}()

// outcomeGroup returns the batch group of s's outcome writes.
func (s *JobStore) outcomeGroup() *batchGroup {
	return &batchGroup{
		run: func(ctx context.Context, tx *sql.Tx, args []any) ([]error, error) {
			writes := make([]*outcomeWrite, len(args))
			for i, a := range args {
				writes[i] = a.(*outcomeWrite)
			}
			return s.writeOutcomes(ctx, tx, writes)
		},
		single: func(ctx context.Context, tx *sql.Tx, arg any) error {
			w := arg.(*outcomeWrite)
			return s.writeJob(ctx, tx, updateJobQuery, w.id, w.args, w.ends)
		},
		// Nobody waits on an outcome's commit but the job's worker: it
		// may wait a moment to share the next creates' transaction.
		linger: true,
	}
}

// writeOutcomes writes the outcomes of a batch, maxOutcomeRows a
// statement, and returns each one's error (ENOTFOUND: the job is gone).
// An error of the whole (a statement failed, or one job appears twice,
// whose writes must keep their order) leaves the batch to write them one
// at a time.
func (s *JobStore) writeOutcomes(ctx context.Context, tx *sql.Tx, writes []*outcomeWrite) ([]error, error) {
	found := make(map[string]bool, len(writes))
	for _, w := range writes {
		if _, dup := found[w.id]; dup {
			return nil, fmt.Errorf("sqlite: invocation %q has two outcomes in one batch", w.id)
		}
		found[w.id] = false
	}
	for rest := writes; len(rest) > 0; {
		chunk := rest[:groupChunk(len(rest), maxOutcomeRows)]
		rest = rest[len(chunk):]
		values := make([]any, 0, len(chunk)*len(outcomeColumns))
		for _, w := range chunk {
			for _, p := range outcomeArgs {
				values = append(values, w.args[p])
			}
		}
		if err := s.updateOutcomes(ctx, tx, outcomeQueries[len(chunk)], values, found); err != nil {
			return nil, err
		}
	}
	errs := make([]error, len(writes))
	for i, w := range writes {
		switch {
		case !found[w.id]:
			errs[i] = jobNotFound(w.id)
		case w.ends:
			s.running().setWritten(w.id, true)
		}
	}
	return errs, nil
}

// updateOutcomes runs one outcome statement and marks the IDs it found.
func (s *JobStore) updateOutcomes(ctx context.Context, tx *sql.Tx, query string, values []any, found map[string]bool) error {
	rows, err := s.db.query(ctx, tx, query, values...)
	if err != nil {
		return fmt.Errorf("sqlite: update invocations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("sqlite: update invocations: %w", err)
		}
		found[id] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: update invocations: %w", err)
	}
	return rows.Close()
}
