package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// FindJob returns the job with id, whole: payload, response and history.
func (s *JobStore) FindJob(ctx context.Context, id string) (*lambda.Job, error) {
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
	query, args := listQuery(f)
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
		list = append(list, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list invocations: %w", err)
	}
	return list, nil
}

// dueQuery lists the functions with waiting jobs and the first NextRunAt
// of each.
const dueQuery = `SELECT c.function, (SELECT j.next_run_at FROM jobs j
		WHERE j.function = c.function AND j.status IN ` + sqlWaiting + ` ORDER BY j.next_run_at LIMIT 1)
	FROM (SELECT DISTINCT function FROM job_counts WHERE status IN ` + sqlWaiting + ` AND n > 0) c`

// listQuery is ListJobs' query for f, built term by term: "? = ” OR
// function = ?" would keep SQLite from using the indexes.
func listQuery(f lambda.JobFilter) (string, []any) {
	limit := f.Limit
	if limit <= 0 {
		limit = lambda.DefaultJobListLimit
	}
	limit = min(limit, lambda.MaxJobListLimit)
	var (
		where []string
		args  []any
	)
	add := func(term string, arg any) {
		where = append(where, term)
		args = append(args, arg)
	}
	if f.Function != "" {
		add("function = ?", f.Function)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		add("created_at >= ?", formatTime(f.Since))
	}
	if !f.Before.IsZero() {
		add("created_at < ?", formatTime(f.Before))
	}
	if f.After != nil {
		where = append(where, "(created_at, seq) < (?, ?)")
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
	return due, nil
}

// CountJobs returns how many jobs each function has in each status; a
// status without jobs is left out, as is a function without any.
func (s *JobStore) CountJobs(ctx context.Context) (map[string]map[string]int, error) {
	rows, err := s.db.readQuery(ctx, `SELECT function, status, n FROM job_counts WHERE n > 0`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: count invocations: %w", err)
	}
	defer rows.Close()
	counts := map[string]map[string]int{}
	for rows.Next() {
		var (
			function, status string
			n                int
		)
		if err := rows.Scan(&function, &status, &n); err != nil {
			return nil, fmt.Errorf("sqlite: count invocations: %w", err)
		}
		if counts[function] == nil {
			counts[function] = map[string]int{}
		}
		counts[function][status] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: count invocations: %w", err)
	}
	return counts, nil
}
