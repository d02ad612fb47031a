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

var _ lambda.InvocationHistory = (*InvocationStore)(nil)

// InvocationStore implements lambda.InvocationHistory. A save is one write
// of the DB's group commit, relaxed (a power failure may lose the newest
// records; they are history, not acknowledged work).
type InvocationStore struct {
	db *DB
	// Keep is how many records each function keeps (the newest);
	// NewInvocationStore sets lambda.MaxInvocationsKept.
	Keep int
}

// NewInvocationStore returns a store on db, which must be opened before use.
func NewInvocationStore(db *DB) *InvocationStore {
	return &InvocationStore{db: db, Keep: lambda.MaxInvocationsKept}
}

const invocationColumns = `id, function, version, trigger, started_at, duration, status, http_status,
	cold_start, queue_wait, init_duration, error_type, throttle_reason, trace_id`

// insertInvocation skips, without a foreign-key error, a record whose
// function was deleted while it waited in the writer's queue, and one that
// a job already records (an idempotent call).
const insertInvocation = `INSERT OR IGNORE INTO invocations (` + invocationColumns + `)
	SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14
	WHERE EXISTS (SELECT 1 FROM functions WHERE name = ?2)
	AND NOT EXISTS (SELECT 1 FROM jobs WHERE id = ?1)`

// pruneInvocations deletes a function's records older than its ?2-th
// newest: an index seek, then the deletion of the few rows past it.
const pruneInvocations = `DELETE FROM invocations WHERE function = ?1 AND seq <
	(SELECT seq FROM invocations WHERE function = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2 - 1)`

// SaveInvocations stores recs in one transaction and prunes each function
// they name down to Keep records in it.
func (s *InvocationStore) SaveInvocations(ctx context.Context, recs []*lambda.Invocation) error {
	if len(recs) == 0 {
		return nil
	}
	keep := s.Keep
	if keep <= 0 {
		keep = lambda.MaxInvocationsKept
	}
	err := s.db.batchRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		functions := map[string]bool{}
		for _, r := range recs {
			if _, err := s.db.exec(ctx, tx, insertInvocation, invocationArgs(r)...); err != nil {
				return err
			}
			functions[r.Function] = true
		}
		for fn := range functions {
			if _, err := s.db.exec(ctx, tx, pruneInvocations, fn, keep); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: save %d invocation records: %w", len(recs), err)
	}
	return nil
}

func invocationArgs(r *lambda.Invocation) []any {
	return []any{
		r.ID, r.Function, r.Version, string(r.Trigger), formatTime(r.Start), int64(r.Duration), r.Status, r.HTTPStatus,
		r.Cold, int64(r.QueueWait), int64(r.InitDuration), r.ErrorType, string(r.ThrottleReason), r.TraceID,
	}
}

// ListInvocations returns the records f selects as jobs, newest first.
func (s *InvocationStore) ListInvocations(ctx context.Context, f lambda.JobFilter) ([]*lambda.Job, error) {
	if f.Status != "" && !validStatus(f.Status) {
		return nil, invalidStatus(f.Status)
	}
	list := []*lambda.Job{}
	if !lambda.SyncStatus(f.Status) {
		return list, nil
	}
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	query, args := invocationListQuery(f)
	rows, err := read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list invocation records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		j, err := scanInvocation(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list invocation records: %w", err)
		}
		list = append(list, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list invocation records: %w", err)
	}
	return list, nil
}

// invocationListQuery is listQuery's twin for records: their start is the
// jobs' created_at.
func invocationListQuery(f lambda.JobFilter) (string, []any) {
	limit := f.Limit
	if limit <= 0 {
		limit = lambda.DefaultJobListLimit
	}
	limit = min(limit, lambda.MaxJobListLimit)
	var (
		where []string
		args  []any
	)
	add := func(term string, arg ...any) {
		where = append(where, term)
		args = append(args, arg...)
	}
	if f.Function != "" {
		add("function = ?", f.Function)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		add("started_at >= ?", formatTime(f.Since))
	}
	if !f.Before.IsZero() {
		add("started_at < ?", formatTime(f.Before))
	}
	if f.After != nil {
		add("(started_at, seq) < (?, ?)", formatTime(f.After.CreatedAt), f.After.Seq)
	}
	query := `SELECT seq, ` + invocationColumns + ` FROM invocations`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	return query + ` ORDER BY started_at DESC, seq DESC LIMIT ?`, append(args, limit)
}

// FindInvocation returns the record with id as a job.
func (s *InvocationStore) FindInvocation(ctx context.Context, id string) (*lambda.Job, error) {
	row, err := s.db.readQueryRow(ctx, `SELECT seq, `+invocationColumns+` FROM invocations WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	j, err := scanInvocation(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "invocation %q not found: the newest %d synchronous invocations of each function are kept", id, lambda.MaxInvocationsKept)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find invocation record %q: %w", id, err)
	}
	return j, nil
}

func scanInvocation(row scanner) (*lambda.Job, error) {
	var (
		r                               lambda.Invocation
		seq                             int64
		trigger, start, throttle, trace string
		duration, wait, initDuration    int64
	)
	if err := row.Scan(&seq, &r.ID, &r.Function, &r.Version, &trigger, &start, &duration, &r.Status, &r.HTTPStatus,
		&r.Cold, &wait, &initDuration, &r.ErrorType, &throttle, &trace); err != nil {
		return nil, err
	}
	t, err := parseTime(start)
	if err != nil {
		return nil, err
	}
	r.Trigger, r.Start, r.ThrottleReason = lambda.Trigger(trigger), t, lambda.ThrottleReason(throttle)
	r.Duration, r.QueueWait, r.InitDuration = time.Duration(duration), time.Duration(wait), time.Duration(initDuration)
	r.TraceID = trace
	j := lambda.InvocationJob(&r)
	j.Seq = seq
	return j, nil
}
