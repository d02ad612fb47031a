package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
)

// runBatch runs ops in one transaction, each inside a savepoint, and
// returns their results. A failure of the transaction itself (begin, a
// savepoint, commit) fails every op that had not failed on its own.
func (db *DB) runBatch(ops []*batchOp) []error {
	errs := make([]error, len(ops))
	failAll := func(err error) []error {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		return errs
	}
	_, write, err := db.pools()
	if err != nil {
		return failAll(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	db.prepareWanted(ctx, write)
	// The batch holds the writer's connection from its first statement to
	// its last, so that a relaxed batch's synchronous setting never
	// reaches another caller's commit.
	conn, err := write.Conn(ctx)
	if err != nil {
		return failAll(fmt.Errorf("sqlite: begin: %w", err))
	}
	defer conn.Close()
	relaxed := true
	for _, op := range ops {
		relaxed = relaxed && op.relaxed
	}
	if relaxed {
		if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
			return failAll(fmt.Errorf("sqlite: relax synchronous: %w", err))
		}
		defer restoreSynchronous(conn)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return failAll(fmt.Errorf("sqlite: begin: %w", err))
	}
	defer tx.Rollback()
	if db.batcher.hook != nil {
		db.batcher.hook(tx, len(ops))
	}
	// The statements run without a context that can end: the driver
	// watches a cancellable one with a goroutine and a progress handler
	// per statement, a fixed cost of every write of the batch. What could
	// make a statement wait is bounded without it: the lock by
	// busy_timeout, and the transaction itself began under ctx.
	ctx = context.WithoutCancel(ctx)
	grouped := make([]bool, len(ops)) // written with their group
	for i, op := range ops {
		if grouped[i] {
			continue
		}
		if op.group != nil {
			if err := db.runGroup(ctx, tx, ops, i, grouped, errs); err != nil {
				return failAll(err)
			}
			continue
		}
		if err := db.runSaved(ctx, tx, op.fn, &errs[i]); err != nil {
			return failAll(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return failAll(fmt.Errorf("sqlite: commit: %w", err))
	}
	return errs
}

// runSaved runs fn inside a savepoint, rolled back if fn fails; fn's error
// goes to *opErr. The error returned is the transaction's: nothing of the
// batch stands.
func (db *DB) runSaved(ctx context.Context, tx *sql.Tx, fn func(context.Context, *sql.Tx) error, opErr *error) error {
	if _, err := db.exec(ctx, tx, `SAVEPOINT op`); err != nil {
		return fmt.Errorf("sqlite: savepoint: %w", err)
	}
	if err := runOp(ctx, tx, fn); err != nil {
		*opErr = err
		// Fails when the error already rolled the whole transaction
		// back (SQLITE_FULL, I/O errors): then nothing of the batch
		// stands.
		if _, rerr := db.exec(ctx, tx, `ROLLBACK TO op`); rerr != nil {
			return fmt.Errorf("sqlite: roll back a failed write (%v): %w", err, rerr)
		}
	}
	if _, err := db.exec(ctx, tx, `RELEASE op`); err != nil {
		return fmt.Errorf("sqlite: release savepoint: %w", err)
	}
	return nil
}

// runGroup writes ops[first] and every later op of its group, marking
// them in grouped and their results in errs (see batchGroup). The error
// returned is the transaction's.
func (db *DB) runGroup(ctx context.Context, tx *sql.Tx, ops []*batchOp, first int, grouped []bool, errs []error) error {
	g := ops[first].group
	var (
		index []int
		args  []any
	)
	for k := first; k < len(ops); k++ {
		if ops[k].group == g {
			grouped[k] = true
			index, args = append(index, k), append(args, ops[k].arg)
		}
	}
	var groupErrs []error
	err := db.runSaved(ctx, tx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		groupErrs, err = g.run(ctx, tx, args)
		if err == nil && len(groupErrs) != len(args) {
			err = fmt.Errorf("sqlite: a group of %d writes returned %d results", len(args), len(groupErrs))
		}
		if err != nil {
			groupErrs = nil
		}
		return err
	}, new(error))
	if err != nil {
		return err
	}
	if groupErrs != nil {
		for n, k := range index {
			errs[k] = groupErrs[n]
		}
		return nil
	}
	// The group's statement failed as a whole (rolled back): each op
	// alone, so that only the bad one fails.
	for n, k := range index {
		arg := args[n]
		single := func(ctx context.Context, tx *sql.Tx) error { return g.single(ctx, tx, arg) }
		if err := db.runSaved(ctx, tx, single, &errs[k]); err != nil {
			return err
		}
	}
	return nil
}

// restoreSynchronous sets the connection back to synchronous=FULL after
// a relaxed batch, or has it discarded: a connection left relaxed would
// make every later commit lose its durability.
func restoreSynchronous(conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = FULL`); err != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// runOp runs fn, turning a panic into its error: the leader runs other
// callers' writes, which must not be left waiting by one bad write.
func runOp(ctx context.Context, tx *sql.Tx, fn func(context.Context, *sql.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sqlite: panic in a batched write: %v", r)
		}
	}()
	return fn(ctx, tx)
}
