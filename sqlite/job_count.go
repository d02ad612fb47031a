package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lambdahq/lambda"
)

// CountJobs' queries: the counts, and the rows of the jobs running in
// memory (those still waiting move to running).
const (
	countsQuery      = `SELECT function, status, n FROM job_counts WHERE n > 0`
	runningRowsQuery = `SELECT function, status FROM jobs WHERE seq IN (SELECT value FROM json_each(?)) AND status IN ` + sqlWaiting
)

// CountJobs returns how many jobs each function has in each status; a
// status without jobs is left out, as is a function without any. A job
// running in memory is counted running, not as its row waits: the counts
// and those rows are read in one transaction.
func (s *JobStore) CountJobs(ctx context.Context) (map[string]map[string]int, error) {
	// The journal's jobs are counted from memory. A flush moves some of
	// them into the rows: while one may have them in both, or did since
	// the memory was counted, the count is taken again.
	m := s.journal()
	for tries := 0; ; tries++ {
		if m.flushing.Load() > 0 && tries < journalReadTries {
			time.Sleep(journalReadPause)
			continue
		}
		gen := m.gen.Load()
		counts := map[string]map[string]int{}
		m.counts(counts)
		counts, err := s.countRows(ctx, counts)
		if err != nil || tries >= journalReadTries || m.flushing.Load() == 0 && m.gen.Load() == gen {
			return counts, err
		}
	}
}

// How long CountJobs waits for a flush's jobs to leave the memory: a
// flush's batch is milliseconds, a count taken while it runs is right but
// for the jobs it moves.
const (
	journalReadTries = 200
	journalReadPause = 250 * time.Microsecond
)

// countRows adds the counts of jobs' rows to counts.
func (s *JobStore) countRows(ctx context.Context, counts map[string]map[string]int) (map[string]map[string]int, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	running := s.running().snapshot("")
	// Prepared before the transaction takes a connection: preparing on the
	// pool from inside it waits for a second one, and as many concurrent
	// first calls as the pool has connections waited for each other for
	// ever (TestReadStatementsKept hung so under -race).
	s.db.reads.stmt(ctx, read, countsQuery)
	if len(running) > 0 {
		s.db.reads.stmt(ctx, read, runningRowsQuery)
	}
	tx, err := read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlite: count invocations: %w", err)
	}
	defer tx.Rollback()
	add := func(function, status string, n int) {
		if counts[function] == nil {
			counts[function] = map[string]int{}
		}
		counts[function][status] += n
	}
	err = s.eachRow(ctx, tx, countsQuery, nil, func(rows *sql.Rows) error {
		var (
			function, status string
			n                int
		)
		if err := rows.Scan(&function, &status, &n); err != nil {
			return err
		}
		add(function, status, n)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: count invocations: %w", err)
	}
	if len(running) > 0 {
		// The rows of the jobs running in memory, as this transaction
		// sees them: those still waiting move to running.
		err = s.eachRow(ctx, tx, runningRowsQuery, []any{seqList(running)}, func(rows *sql.Rows) error {
			var function, status string
			if err := rows.Scan(&function, &status); err != nil {
				return err
			}
			add(function, status, -1)
			add(function, lambda.StatusRunning, 1)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("sqlite: count invocations: %w", err)
		}
	}
	for function, c := range counts {
		for status, n := range c {
			if n <= 0 {
				delete(c, status)
			}
		}
		if len(c) == 0 {
			delete(counts, function)
		}
	}
	return counts, nil
}

// eachRow runs query in tx, a transaction of the reader pool, through a
// statement kept prepared, and calls fn on each row.
func (s *JobStore) eachRow(ctx context.Context, tx *sql.Tx, query string, args []any, fn func(*sql.Rows) error) error {
	read, _, err := s.db.pools()
	if err != nil {
		return err
	}
	var rows *sql.Rows
	// Only a statement kept already: tx holds a connection of the pool,
	// and preparing one now would wait for another (see CountJobs).
	if v, ok := s.db.reads.m.Load(query); ok && v.(*readStmt).pool == read {
		rows, err = tx.StmtContext(ctx, v.(*readStmt).st).QueryContext(ctx, args...)
	} else {
		rows, err = tx.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
