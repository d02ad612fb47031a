package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit. With synchronous=FULL every commit waits for an fsync, so
// one transaction per write would cap the rate of durable writes at the
// disk's fsync rate. Concurrent writes submitted through DB.batch instead
// share transactions: many per fsync.
//
// There is no goroutine to start or stop. The caller that finds no batch in
// progress becomes the leader: it takes what is pending (its own write
// first), runs it in one IMMEDIATE transaction with a SAVEPOINT per write,
// so that one write's failure leaves the others in, commits, and hands each
// waiter its own result. If more writes arrived meanwhile it hands the lead
// to the oldest of their callers (which then runs the next batch) rather
// than running it itself: every caller waits for at most its own batch and
// the one before it, however long the load lasts.
//
// A caller whose ctx ends before its write was taken into a batch is dropped
// and nothing of it is written. Once taken, the write commits (or fails)
// with its batch; a caller whose ctx ends meanwhile stops waiting and gets
// an error saying the write may have committed. A leader finishes its batch
// whatever its ctx says, since it carries other callers' writes: the batch
// is bounded by batchTimeout instead.
type batcher struct {
	mu      sync.Mutex
	pending []*batchOp
	// leading: a caller runs a batch or has been handed the lead. While it
	// is false, pending is empty.
	leading bool

	// Counters of committed-or-failed batches and of the writes they
	// carried, for tests and measurements.
	batches atomic.Int64
	ops     atomic.Int64
	// hook, when set (tests only), runs at the start of each batch, in its
	// transaction, with its number of writes.
	hook func(tx *sql.Tx, size int)

	// Statements prepared on the writer, by query, for the pool they were
	// prepared on (a DB may be closed and opened again). Preparing an
	// insert into jobs compiles its triggers, indexes and foreign keys:
	// more than half of a create's CPU time if done on every call.
	stmtMu   sync.Mutex
	stmtPool *sql.DB
	stmts    map[string]*sql.Stmt
	wanted   map[string]bool // seen, to prepare before the next batch

	// running is the in-memory running status of async jobs
	// (job_running.go), changed only by batched writes.
	running runningJobs
	// fresh holds jobs as created, for claims (job_fresh.go).
	fresh freshJobs
}

// batchOp is one write waiting for a batch.
type batchOp struct {
	fn func(ctx context.Context, tx *sql.Tx) error
	// group, when set, writes this op (its arg; fn is nil) together with
	// the batch's other ops of the same group (see batchGroup).
	group *batchGroup
	arg   any
	// relaxed: the write need not survive a power failure, only a crash
	// of the process (see batchRelaxed).
	relaxed bool
	done    chan error    // buffered: the write's result
	lead    chan struct{} // buffered: the caller is to run the next batch
}

const (
	// maxBatchOps bounds a batch, so that one transaction stays short
	// even behind a burst of thousands of writes.
	maxBatchOps = 256
	// batchTimeout bounds a batch's transaction, fsync included.
	batchTimeout = 30 * time.Second
)

// batch runs fn in a transaction shared with concurrent callers and returns
// once that transaction committed (fn's error, the commit's, or ctx's). fn
// runs on the leader's goroutine with the batch's context, not ctx; it must
// write only to state that its caller reads after batch returns nil or
// fn's error, since a caller that gave up may already be gone. fn's error is
// returned unchanged, so *lambda.Error survives.
func (db *DB) batch(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.submit(ctx, &batchOp{fn: fn})
}

// batchRelaxed is batch for a write that may be lost on a power failure
// (not on a crash of the process): a batch of such writes alone commits
// with synchronous=NORMAL, without waiting for an fsync. A claim of jobs is
// one: lost, its jobs are queued again, as RequeueRunning does after a
// crash. The WAL keeps order, so a later durable commit makes it durable
// too, and nothing after it can survive without it.
func (db *DB) batchRelaxed(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.submit(ctx, &batchOp{fn: fn, relaxed: true})
}

// batchGroup writes several ops of one kind with one statement: a
// statement's fixed cost (its execution set up, a savepoint, the pages it
// touches copied to the sub-journal once, not once per op) is most of a
// small write's. A batch runs all its ops of a group where the first of
// them stands, in one savepoint: run gets their args in order and returns
// each one's error, or an error of the whole, after which the batch rolls
// the group back and writes each op alone with single, in its own
// savepoint, so that one bad op fails only itself.
type batchGroup struct {
	run    func(ctx context.Context, tx *sql.Tx, args []any) ([]error, error)
	single func(ctx context.Context, tx *sql.Tx, arg any) error
}

// batchGrouped is batch for a write of group g, with g's input arg.
func (db *DB) batchGrouped(ctx context.Context, g *batchGroup, arg any) error {
	return db.submit(ctx, &batchOp{group: g, arg: arg})
}

func (db *DB) submit(ctx context.Context, op *batchOp) error {
	if _, _, err := db.pools(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b := &db.batcher
	op.done, op.lead = make(chan error, 1), make(chan struct{}, 1)
	b.mu.Lock()
	b.pending = append(b.pending, op)
	if !b.leading {
		b.leading = true
		b.mu.Unlock()
		db.lead()
		return <-op.done // op was pending[0]: the batch just run took it
	}
	b.mu.Unlock()
	select {
	case err := <-op.done:
		return err
	case <-op.lead:
		// Handed the lead while op was pending[0]: nothing else takes from
		// pending until this caller does, so its batch carries op.
		db.lead()
		return <-op.done
	case <-ctx.Done():
		if b.drop(op) {
			return ctx.Err()
		}
		select {
		case err := <-op.done:
			return err
		default:
			return fmt.Errorf("sqlite: stopped waiting for a write that may still commit: %w", ctx.Err())
		}
	}
}

// drop removes op from pending, reporting false when a batch already took
// it. If op's caller was handed the lead meanwhile, the lead goes on to the
// next pending write, or lapses.
func (b *batcher) drop(op *batchOp) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := -1
	for k, p := range b.pending {
		if p == op {
			i = k
			break
		}
	}
	if i < 0 {
		return false
	}
	b.pending = append(b.pending[:i:i], b.pending[i+1:]...)
	select {
	case <-op.lead:
		b.handOff()
	default:
	}
	return true
}

// handOff passes the lead to the oldest pending write's caller, or ends it.
// b.mu must be held.
func (b *batcher) handOff() {
	if len(b.pending) == 0 {
		b.leading = false
		b.pending = nil
		return
	}
	b.pending[0].lead <- struct{}{}
}

// lead runs one batch of the pending writes, hands each its result and
// passes the lead on.
func (db *DB) lead() {
	b := &db.batcher
	b.mu.Lock()
	n := min(len(b.pending), maxBatchOps)
	ops := b.pending[:n:n]
	b.pending = append([]*batchOp(nil), b.pending[n:]...)
	b.mu.Unlock()

	errs := db.runBatch(ops)
	for i, op := range ops {
		op.done <- errs[i]
	}
	b.batches.Add(1)
	b.ops.Add(int64(len(ops)))

	b.mu.Lock()
	b.handOff()
	b.mu.Unlock()
}

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
