// Package sqlite persists functions, versions and schedules in a SQLite
// database through the pure-Go modernc.org/sqlite driver.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/lambdahq/lambda"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Pragmas go in the DSN because a PRAGMA run through Exec reaches only one
// pooled connection. synchronous(FULL): with NORMAL a committed WAL
// transaction may be lost on power failure. temp_store(MEMORY): every op
// of a batch runs in a savepoint, whose sub-journal is otherwise a temp
// file written page by page (a write(2) per page): in memory a history
// record costs ~27 µs of CPU instead of ~36 (BenchmarkSaveInvocations).
// Sub-journals only serve rollbacks within a live transaction; the WAL
// keeps commits atomic either way.
const (
	writerParams = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(FULL)&_pragma=temp_store(MEMORY)&_txlock=immediate"
	readerParams = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=query_only(1)"
)

// DB is a SQLite database file. Writes go through a single connection so
// they queue in Go instead of failing with SQLITE_BUSY; reads use a separate
// pool, which WAL lets run alongside the writer. Transactions begin
// IMMEDIATE and wait up to busy_timeout, so other processes sharing the file
// are handled too.
type DB struct {
	// Path is the database file; its directory is created on Open.
	Path string
	// Now returns the current time (time.Now when nil); tests replace it.
	Now func() time.Time
	// Logger reports what the background flush of the journal of
	// invocations could not do (slog.Default when nil).
	Logger *slog.Logger

	write *sql.DB
	read  *sql.DB
	// batcher groups concurrent job writes into shared transactions
	// (batch.go).
	batcher batcher
	// keys caches the API keys found, emptied by every change of a key
	// (key_cache.go).
	keys keyCache
	// reads keeps the queue's hot reads prepared (read_stmt.go).
	reads readStmts
	// stopJournal ends the journal's flusher, started by Open; journalDone
	// is closed when it returned.
	stopJournal context.CancelFunc
	journalDone chan struct{}
}

// NewDB returns a DB for the file at path. It does no I/O.
func NewDB(path string) *DB {
	return &DB{Path: path, Now: time.Now}
}

// Open creates the database directory, opens the file and applies pending
// migrations.
func (db *DB) Open(ctx context.Context) error {
	if db.write != nil {
		return errors.New("sqlite: database is already open")
	}
	if db.Path == "" {
		return lambda.Errorf(lambda.EINVALID, "database path is empty: set the path of the SQLite file")
	}
	// The driver splits the DSN at the first '?', and an in-memory database
	// would not be shared between the writer and the reader pools.
	if strings.Contains(db.Path, "?") || db.Path == ":memory:" || strings.HasPrefix(db.Path, "file:") {
		return lambda.Errorf(lambda.EINVALID, "database path %q is not supported: use a plain file path without '?'", db.Path)
	}
	if err := os.MkdirAll(filepath.Dir(db.Path), 0o700); err != nil {
		return fmt.Errorf("sqlite: create database directory: %w", err)
	}

	write, err := openPool(ctx, db.Path+"?"+writerParams, 1)
	if err != nil {
		return err
	}
	if err := migrate(ctx, write, migrationFS, db.now()); err != nil {
		write.Close()
		return err
	}
	db.batcher.journal = journalJobs{}
	if err := db.recoverJournal(ctx, write, db.logger()); err != nil {
		write.Close()
		return err
	}
	// The reader opens after the writer so the file is already in WAL mode.
	read, err := openPool(ctx, db.Path+"?"+readerParams, max(4, runtime.NumCPU()))
	if err != nil {
		write.Close()
		return err
	}
	db.write, db.read = write, read
	jctx, stop := context.WithCancel(context.Background())
	db.stopJournal, db.journalDone = stop, make(chan struct{})
	go func() {
		defer close(db.journalDone)
		db.runJournal(jctx, db.logger())
	}()
	return nil
}

func (db *DB) logger() *slog.Logger {
	if db.Logger == nil {
		return slog.Default()
	}
	return db.Logger
}

func openPool(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	pool, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	pool.SetMaxOpenConns(conns)
	pool.SetMaxIdleConns(conns)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	return pool, nil
}

// Close closes the database. Calling it on a closed DB does nothing.
func (db *DB) Close(ctx context.Context) error {
	var errs []error
	if db.stopJournal != nil {
		db.stopJournal()
		select {
		case <-db.journalDone:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("sqlite: stop the journal's flush: %w", ctx.Err()))
		}
		db.stopJournal = nil
		// What the journal holds goes into jobs, so that a database closed
		// cleanly has an empty journal; left there, the next Open would
		// write it all the same.
		if db.write != nil && len(errs) == 0 {
			if _, err := db.flushJournal(ctx, true); err != nil {
				errs = append(errs, fmt.Errorf("sqlite: write the journal of invocations: %w", err))
			}
		}
	}
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	db.read, db.write = nil, nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// Ping checks that both the writer and the readers can reach the file.
func (db *DB) Ping(ctx context.Context) error {
	if db.write == nil {
		return errNotOpen
	}
	for _, pool := range []*sql.DB{db.write, db.read} {
		if err := pool.PingContext(ctx); err != nil {
			return fmt.Errorf("sqlite: ping: %w", err)
		}
	}
	return nil
}

var errNotOpen = lambda.Errorf(lambda.EUNAVAILABLE, "database is not open")

// pools returns the reader and writer pools, or errNotOpen; it keeps a
// store used before Open (or after Close) from dereferencing nil.
func (db *DB) pools() (read, write *sql.DB, err error) {
	if db.write == nil {
		return nil, nil, errNotOpen
	}
	return db.read, db.write, nil
}

// tx runs fn in an IMMEDIATE transaction on the writer and commits when fn
// returns nil. fn's error is returned unchanged so *lambda.Error survives.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	_, write, err := db.pools()
	if err != nil {
		return err
	}
	tx, err := write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// now is db.Now, tolerating a DB built as a literal without it.
func (db *DB) now() time.Time {
	if db.Now == nil {
		return time.Now()
	}
	return db.Now()
}
