package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// readStmts keeps the hot reads of the queue prepared on the reader pool:
// compiling a statement anew on every call was 6 % of an asynchronous
// invocation's CPU. A sql.Stmt prepares itself once per connection of the
// pool it came from; a DB closed and opened again prepares anew.
type readStmts struct {
	m sync.Map // query → *readStmt
}

type readStmt struct {
	pool *sql.DB
	st   *sql.Stmt
}

// readQuery runs query on the reader pool through its kept statement.
func (db *DB) readQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	read, _, err := db.pools()
	if err != nil {
		return nil, err
	}
	if st := db.reads.stmt(ctx, read, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return read.QueryContext(ctx, query, args...)
}

// readQueryRow is readQuery for one row.
func (db *DB) readQueryRow(ctx context.Context, query string, args ...any) (*sql.Row, error) {
	read, _, err := db.pools()
	if err != nil {
		return nil, err
	}
	if st := db.reads.stmt(ctx, read, query); st != nil {
		return st.QueryRowContext(ctx, args...), nil
	}
	return read.QueryRowContext(ctx, query, args...), nil
}

// stmt returns query's statement on pool, preparing it the first time;
// nil if it does not prepare (the direct path then says why) or another
// call raced this one to keep it (this call then goes the direct way).
func (r *readStmts) stmt(ctx context.Context, pool *sql.DB, query string) *sql.Stmt {
	v, ok := r.m.Load(query)
	if ok && v.(*readStmt).pool == pool {
		return v.(*readStmt).st
	}
	st, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	kept := &readStmt{pool: pool, st: st}
	if ok {
		// Kept for a pool closed since, which closed its statement.
		if r.m.CompareAndSwap(query, v, kept) {
			return st
		}
	} else if _, loaded := r.m.LoadOrStore(query, kept); !loaded {
		return st
	}
	st.Close()
	return nil
}
