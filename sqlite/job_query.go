package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// FindJob returns the job with id, whole: payload, response and history.
func (s *JobStore) FindJob(ctx context.Context, id string) (*lambda.Job, error) {
	// A job leaves the journal only once its row is committed: it is
	// found in one or the other.
	if j := s.journal().find(id); j != nil {
		return j, nil
	}
	// Looked up before the read and after: running before, the job ran
	// at least until the read unless its row says it ended; running only
	// after, it was claimed since and its row is the one read.
	e, running := s.running().get(id)
	row, err := s.db.readQueryRow(ctx, findJobQuery, id)
	if err != nil {
		return nil, err
	}
	j, err := scanJob(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jobNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find invocation %q: %w", id, err)
	}
	if !running {
		e, running = s.running().get(id)
	}
	if running {
		e.apply(j)
	}
	return j, nil
}

// ListJobs returns the jobs f selects, newest first (by CreatedAt, then
// creation order), without payload and response. f.Limit is
// DefaultJobListLimit when not positive and at most MaxJobListLimit. An
// unknown function has no jobs; an unknown status is EINVALID.
func (s *JobStore) ListJobs(ctx context.Context, f lambda.JobFilter) ([]*lambda.Job, error) {
	if f.Status != "" && !validStatus(f.Status) {
		return nil, invalidStatus(f.Status)
	}
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	running := s.running().snapshot(f.Function)
	query, args := listQuery(f, running)
	// Read before the rows: a job flushed meanwhile is in both, and the
	// row's is kept; one cannot leave the memory before its row commits.
	mem := s.journal().list(f, listLimit(f))
	rows, err := read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list invocations: %w", err)
	}
	defer rows.Close()
	list := []*lambda.Job{}
	for rows.Next() {
		var seq int64
		j, err := scanJob(seqScanner{rows, &seq})
		if err != nil {
			return nil, fmt.Errorf("sqlite: list invocations: %w", err)
		}
		j.Seq = seq
		if e, ok := running[seq]; ok {
			e.apply(j)
		}
		list = append(list, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list invocations: %w", err)
	}
	if len(mem) == 0 {
		return list, nil
	}
	return mergeListed(list, mem, listLimit(f)), nil
}

// listLimit is f's limit as ListJobs applies it.
func listLimit(f lambda.JobFilter) int {
	limit := f.Limit
	if limit <= 0 {
		limit = lambda.DefaultJobListLimit
	}
	return min(limit, lambda.MaxJobListLimit)
}

// mergeListed merges a listing of rows and one of the journal's memory,
// each newest first, into the newest limit; a job in both is its row.
func mergeListed(rows, mem []*lambda.Job, limit int) []*lambda.Job {
	seen := make(map[string]bool, len(rows))
	for _, j := range rows {
		seen[j.ID] = true
	}
	out := rows
	for _, j := range mem {
		if !seen[j.ID] {
			out = append(out, j)
		}
	}
	slices.SortFunc(out, newestFirst)
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// dueQuery lists the functions with waiting jobs and the first NextRunAt
// of each.
const dueQuery = `SELECT c.function, (SELECT j.next_run_at FROM jobs j
		WHERE j.function = c.function AND j.status IN ` + sqlWaiting + ` ORDER BY j.next_run_at LIMIT 1)
	FROM (SELECT DISTINCT function FROM job_counts WHERE status IN ` + sqlWaiting + ` AND n > 0) c`

// listQuery is ListJobs' query for f, built term by term: "? = ” OR
// function = ?" would keep SQLite from using the indexes. running are the
// jobs running in memory, whose rows wait: a status selects them by what
// they are, not by their rows.
func listQuery(f lambda.JobFilter, running map[int64]runningJob) (string, []any) {
	limit := listLimit(f)
	var (
		where []string
		args  []any
	)
	add := func(term string, arg any) {
		where = append(where, term)
		args = append(args, arg)
	}
	// Running jobs are few, those of the overlay among them: they are
	// looked up by seq and sorted, the other terms kept off the indexes
	// (a unary +), or SQLite would walk a function's every job instead.
	bySeq := f.Status == lambda.StatusRunning && len(running) > 0
	col := func(name string) string {
		if bySeq {
			return "+" + name
		}
		return name
	}
	if f.Function != "" {
		add(col("function")+" = ?", f.Function)
	}
	switch {
	case len(running) == 0 && f.Status != "":
		add("status = ?", f.Status)
	case bySeq:
		add("seq IN (SELECT seq FROM jobs WHERE status = 'running' UNION ALL SELECT value FROM json_each(?))", seqList(running))
		where = append(where, "status IN "+sqlPending)
	case f.Status == lambda.StatusQueued || f.Status == lambda.StatusRetrying:
		add("status = ?", f.Status)
		add("seq NOT IN (SELECT value FROM json_each(?))", seqList(running))
	case f.Status != "":
		add("status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		add(col("created_at")+" >= ?", formatTime(f.Since))
	}
	if !f.Before.IsZero() {
		add(col("created_at")+" < ?", formatTime(f.Before))
	}
	if f.After != nil {
		where = append(where, "("+col("created_at")+", seq) < (?, ?)")
		args = append(args, formatTime(f.After.CreatedAt), f.After.Seq)
	}
	query := `SELECT seq, ` + jobListColumns + ` FROM jobs`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	return query + ` ORDER BY created_at DESC, seq DESC LIMIT ?`, append(args, limit)
}

// DueJobs returns, per function with queued or retrying jobs, the earliest
// NextRunAt among them. The functions come from job_counts and each
// earliest time from the end of jobs_due: a few lookups per function,
// however many jobs wait.
func (s *JobStore) DueJobs(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.db.readQuery(ctx, dueQuery)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find due invocations: %w", err)
	}
	defer rows.Close()
	due := map[string]time.Time{}
	for rows.Next() {
		var (
			function string
			next     sql.NullString
		)
		if err := rows.Scan(&function, &next); err != nil {
			return nil, fmt.Errorf("sqlite: find due invocations: %w", err)
		}
		if !next.Valid {
			continue
		}
		t, err := parseTime(next.String)
		if err != nil {
			return nil, err
		}
		due[function] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: find due invocations: %w", err)
	}
	rows.Close()
	if due, err = s.dueBesideRunning(ctx, due); err != nil {
		return nil, err
	}
	s.journal().dueTimes(due)
	return due, nil
}

// dueFirstQuery reads the first ?2 waiting rows of function ?1 in the
// claim's order. Its LIMIT is an expression for the reason claimQuery's is.
const dueFirstQuery = `SELECT seq, next_run_at FROM jobs WHERE function = ?1 AND status IN ` + sqlWaiting + `
	ORDER BY next_run_at, seq LIMIT CAST(?2 AS INTEGER)`

// dueBesideRunning corrects due for the jobs running in memory, whose rows
// wait: a function's first waiting row may be one of them, and then the
// first that is not is looked up (or the function has none waiting).
func (s *JobStore) dueBesideRunning(ctx context.Context, due map[string]time.Time) (map[string]time.Time, error) {
	byFunction := map[string]map[int64]bool{}
	for seq, e := range s.running().snapshot("") {
		if _, ok := due[e.function]; !ok || e.written {
			continue
		}
		if byFunction[e.function] == nil {
			byFunction[e.function] = map[int64]bool{}
		}
		byFunction[e.function][seq] = true
	}
	for function, skip := range byFunction {
		delete(due, function)
		rows, err := s.db.readQuery(ctx, dueFirstQuery, function, len(skip)+1)
		if err != nil {
			return nil, fmt.Errorf("sqlite: find due invocations of %q: %w", function, err)
		}
		for rows.Next() {
			var (
				seq  int64
				next string
			)
			if err := rows.Scan(&seq, &next); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: find due invocations of %q: %w", function, err)
			}
			if skip[seq] {
				continue
			}
			t, err := parseTime(next)
			if err != nil {
				rows.Close()
				return nil, err
			}
			due[function] = t
			break
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("sqlite: find due invocations of %q: %w", function, err)
		}
	}
	return due, nil
}
