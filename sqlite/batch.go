package sqlite

import (
	"context"
	"database/sql"
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
// with its batch, and its caller waits for that batch even if its ctx ends
// meanwhile, so that it learns which (submit). A leader finishes its batch
// whatever its ctx says, since it carries other callers' writes: the batch
// is bounded by batchTimeout instead.
type batcher struct {
	mu      sync.Mutex
	pending []*batchOp
	// leading: a caller runs a batch or has been handed the lead. While it
	// is false, pending is empty.
	leading bool
	// lingering, while set, is closed by the first write that will not
	// wait: the leader waits for company for a batch of lingering writes,
	// at most linger (batchLinger; tests set it).
	lingering chan struct{}
	linger    time.Duration
	// last is the number of writes of the last batch (loadedBatch).
	last int
	// lastEnd is when the last batch ended (quiet).
	lastEnd time.Time

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
	// journal holds the jobs of the journal (job_journal.go).
	journal journalJobs
	// noJournal, when set (tests only), writes every create into jobs.
	noJournal bool
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
// once that transaction committed (fn's error or the commit's), or with
// ctx's error when ctx ended before a batch took fn, which then never
// runs. fn runs on the leader's goroutine with the batch's context, not
// ctx; whatever it writes is written when batch returns. fn's error is
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
	// linger: the group's writes have no caller waiting on their commit
	// but the writer of the outcome (see batchLinger).
	linger bool
	// lingerLoaded: the group's writes linger too while the writer is
	// loaded (see loadedBatch).
	lingerLoaded bool
}

// batchLinger is how long a batch of lingering writes alone (the outcomes
// of async jobs, which no client waits for) waits before it begins, for
// other writes to join it: a write that does not linger (a claim; a
// create, whose 202 waits for its commit, unless the writer is loaded:
// loadedBatch) ends the wait at once. Under load the
// outcomes then ride with the next creates' transaction instead of paying
// a BEGIN, a COMMIT and an fsync of their own (about half of the
// writer's CPU went to commits, most of them of one or two jobs); idle, an
// outcome is written a millisecond later, which nothing measures.
const batchLinger = time.Millisecond

// loadedBatch: while the last batch carried this many writes or more, the
// writer is loaded, and the writes of a group with lingerLoaded (creates
// of async jobs) wait for company as outcomes do. Their callers wait for
// the commit, but under load they waited for the batch before theirs
// anyway: a batch began as soon as one write that would not wait came
// in, so the writes of 32 clients went out in batches of 7 or 8, each
// paying a commit and an fsync (a fifth of the queue's CPU in a profile
// of lambda bench's async rounds). A write alone still goes at once.
const loadedBatch = 4

// lingers reports whether op may wait for company; b.mu is held.
func (b *batcher) lingers(op *batchOp) bool {
	g := op.group
	return g != nil && (g.linger || g.lingerLoaded && b.last >= loadedBatch)
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
	if b.lingering != nil && (!b.lingers(op) || len(b.pending) >= maxBatchOps) {
		close(b.lingering) // the waiting leader begins now
		b.lingering = nil
	}
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
		// A batch took op: its caller hears how it ended, not "it may
		// still commit". Then fn's writes to its caller's state are done
		// when batch returns, whatever it returns (three callers read
		// them on an error, and raced with the leader), and a caller that
		// gave up on an acknowledged write knows it committed. The wait
		// is one transaction's, bounded by batchTimeout.
		return <-op.done
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

// allLinger reports whether every pending write may wait for company;
// b.mu is held.
func (b *batcher) allLinger() bool {
	for _, op := range b.pending {
		if !b.lingers(op) {
			return false
		}
	}
	return len(b.pending) < maxBatchOps
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
	if b.allLinger() {
		wait := b.linger
		if wait == 0 {
			wait = batchLinger
		}
		wake := make(chan struct{})
		b.lingering = wake
		b.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-wake:
		case <-t.C:
		}
		t.Stop()
		b.mu.Lock()
		if b.lingering == wake {
			b.lingering = nil
		}
	}
	n := min(len(b.pending), maxBatchOps)
	b.last = n
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
	b.lastEnd = time.Now()
	b.handOff()
	b.mu.Unlock()
}
