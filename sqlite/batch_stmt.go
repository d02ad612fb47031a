package sqlite

import (
	"context"
	"database/sql"
)

// exec runs query in tx, through a statement kept prepared on the writer
// once the query has been seen.
func (db *DB) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st := db.prepared(ctx, tx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// queryRow is exec for a query that returns one row.
func (db *DB) queryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if st := db.prepared(ctx, tx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// query is exec for a query that returns rows.
func (db *DB) query(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if st := db.prepared(ctx, tx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// prepared returns query's statement for use in tx, a transaction of the
// writer, or nil when it is not prepared yet: it then will be, before the
// next batch. (Not now: the writer's one connection is tx's, and a
// statement prepared in tx would end with it.)
func (db *DB) prepared(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	b := &db.batcher
	b.stmtMu.Lock()
	defer b.stmtMu.Unlock()
	if st := b.stmts[query]; st != nil && b.stmtPool == db.write {
		return tx.StmtContext(ctx, st)
	}
	if b.wanted == nil {
		b.wanted = map[string]bool{}
	}
	b.wanted[query] = true
	return nil
}

// prepareWanted prepares on the writer the statements batches asked for.
// It runs before a batch begins, while the connection is free. A query
// that fails to prepare is left to the direct path, which reports why.
func (db *DB) prepareWanted(ctx context.Context, write *sql.DB) {
	b := &db.batcher
	b.stmtMu.Lock()
	if b.stmtPool != write {
		for _, st := range b.stmts {
			st.Close()
		}
		b.stmtPool, b.stmts = write, map[string]*sql.Stmt{}
	}
	wanted := b.wanted
	b.wanted = nil
	b.stmtMu.Unlock()
	for q := range wanted {
		st, err := write.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		b.stmtMu.Lock()
		b.stmts[q] = st
		b.stmtMu.Unlock()
	}
}
