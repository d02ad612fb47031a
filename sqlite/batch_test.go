package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// batchTable opens a database with a table t (id TEXT PRIMARY KEY) for
// batched writes.
func batchTable(t *testing.T) *DB {
	t.Helper()
	db := openTestDB(t)
	if _, err := db.write.Exec(`CREATE TABLE t (id TEXT PRIMARY KEY) STRICT`); err != nil {
		t.Fatal(err)
	}
	return db
}

func insertOp(id string) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO t (id) VALUES (?)`, id)
		return err
	}
}

func rowExists(t *testing.T, db *DB, id string) bool {
	t.Helper()
	var n int
	if err := db.read.QueryRow(`SELECT COUNT(*) FROM t WHERE id = ?`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// holdFirstBatch makes the next batch wait inside its transaction until
// release is closed, and returns a function that waits until n writes
// are pending behind it.
func holdFirstBatch(t *testing.T, db *DB) (release chan struct{}, waitPending func(n int)) {
	t.Helper()
	release = make(chan struct{})
	var held atomic.Bool
	db.batcher.hook = func(*sql.Tx, int) {
		if held.CompareAndSwap(false, true) {
			<-release
		}
	}
	waitPending = func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			db.batcher.mu.Lock()
			got := len(db.batcher.pending)
			db.batcher.mu.Unlock()
			if got == n && held.Load() {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d writes pending after 10s, want %d", got, n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	return release, waitPending
}

// TestBatchSharesTransactions: writes arriving while a batch commits go,
// all of them, into the next one.
func TestBatchSharesTransactions(t *testing.T) {
	db := batchTable(t)
	release, waitPending := holdFirstBatch(t, db)
	ctx := context.Background()
	const n = 50
	errs := make(chan error, n)
	go func() { errs <- db.batch(ctx, insertOp("first")) }()
	waitPending(0)
	for i := range n - 1 {
		go func() { errs <- db.batch(ctx, insertOp(fmt.Sprint(i))) }()
	}
	waitPending(n - 1)
	close(release)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if b, ops := db.batcher.batches.Load(), db.batcher.ops.Load(); b != 2 || ops != n {
		t.Fatalf("%d writes in %d transactions, want %d in 2", ops, b, n)
	}
	for i := range n - 1 {
		if !rowExists(t, db, fmt.Sprint(i)) {
			t.Fatalf("row %d missing", i)
		}
	}
}

// TestBatchBounded: a burst larger than maxBatchOps is split.
func TestBatchBounded(t *testing.T) {
	db := batchTable(t)
	release, waitPending := holdFirstBatch(t, db)
	ctx := context.Background()
	n := maxBatchOps + 10
	errs := make(chan error, n+1)
	go func() { errs <- db.batch(ctx, insertOp("first")) }()
	waitPending(0)
	var sizes []int
	var mu sync.Mutex
	hold := db.batcher.hook
	db.batcher.hook = func(tx *sql.Tx, size int) {
		mu.Lock()
		sizes = append(sizes, size)
		mu.Unlock()
		hold(tx, size)
	}
	for i := range n {
		go func() { errs <- db.batch(ctx, insertOp(fmt.Sprint(i))) }()
	}
	waitPending(n)
	close(release)
	for range n + 1 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if len(sizes) != 2 || sizes[0] != maxBatchOps || sizes[1] != 10 {
		t.Fatalf("batch sizes after the first = %v, want [%d 10]", sizes, maxBatchOps)
	}
}

// TestBatchIsolatesFailures: a write that fails is undone alone; the
// others in its transaction commit, and each caller gets its own result.
func TestBatchIsolatesFailures(t *testing.T) {
	db := batchTable(t)
	release, waitPending := holdFirstBatch(t, db)
	ctx := context.Background()
	go db.batch(ctx, insertOp("first"))
	waitPending(0)

	conflict := lambda.Errorf(lambda.ECONFLICT, "refused")
	ops := map[string]func(context.Context, *sql.Tx) error{
		"ok1": insertOp("ok1"),
		// Writes, then fails: its row must not stay.
		"half": func(ctx context.Context, tx *sql.Tx) error {
			if err := insertOp("half")(ctx, tx); err != nil {
				return err
			}
			return conflict
		},
		"dup":   insertOp("first"), // a constraint error from SQLite
		"panic": func(context.Context, *sql.Tx) error { panic("bug") },
		"ok2":   insertOp("ok2"),
	}
	results := map[string]chan error{}
	for name, op := range ops {
		ch := make(chan error, 1)
		results[name] = ch
		go func() { ch <- db.batch(ctx, op) }()
	}
	waitPending(len(ops))
	close(release)
	for name, want := range map[string]string{"ok1": "", "ok2": "", "half": lambda.ECONFLICT, "dup": lambda.EINTERNAL, "panic": lambda.EINTERNAL} {
		err := <-results[name]
		if lambda.ErrorCode(err) != want {
			t.Errorf("%s: %v, want code %q", name, err, want)
		}
		if name == "half" && !errors.Is(err, conflict) {
			t.Errorf("half: %v, want the op's own error", err)
		}
	}
	for id, want := range map[string]bool{"first": true, "ok1": true, "ok2": true, "half": false} {
		if rowExists(t, db, id) != want {
			t.Errorf("row %s exists = %v, want %v", id, !want, want)
		}
	}
	if b := db.batcher.batches.Load(); b != 2 {
		t.Errorf("%d transactions, want 2", b)
	}
}

// TestBatchDropsAbandonedWrites: a caller whose ctx ends while its write
// waits gets ctx's error at once, and the write never happens.
func TestBatchDropsAbandonedWrites(t *testing.T) {
	db := batchTable(t)
	release, waitPending := holdFirstBatch(t, db)
	ctx := context.Background()
	first := make(chan error, 1)
	go func() { first <- db.batch(ctx, insertOp("first")) }()
	waitPending(0)

	kept := make(chan error, 1)
	go func() { kept <- db.batch(ctx, insertOp("kept")) }()
	waitPending(1)
	gone, cancel := context.WithCancel(ctx)
	dropped := make(chan error, 1)
	go func() { dropped <- db.batch(gone, insertOp("dropped")) }()
	waitPending(2)
	cancel()
	select {
	case err := <-dropped:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("abandoned write: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an abandoned write kept its caller waiting for the batch before it")
	}
	waitPending(1)
	close(release)
	for _, ch := range []chan error{first, kept} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	if rowExists(t, db, "dropped") || !rowExists(t, db, "kept") {
		t.Fatalf("dropped exists %v (want false), kept exists %v (want true)", rowExists(t, db, "dropped"), rowExists(t, db, "kept"))
	}
	if err := db.batch(gone, insertOp("late")); !errors.Is(err, context.Canceled) || rowExists(t, db, "late") {
		t.Fatalf("a write with an ended ctx: %v", err)
	}
}

// TestBatchTakenWriteCommits: once a batch took its write, a caller whose
// ctx ends waits for that batch and gets the write's result: the write
// commits, and what its fn wrote for the caller is there to read without
// racing the leader (pruneChunk read its row count while the leader
// wrote it, caught by the race detector in CI).
func TestBatchTakenWriteCommits(t *testing.T) {
	db := batchTable(t)
	// Batches 1 and 2 each wait in their transaction for their release.
	started := []chan struct{}{make(chan struct{}), make(chan struct{})}
	release := []chan struct{}{make(chan struct{}), make(chan struct{})}
	var n atomic.Int32
	db.batcher.hook = func(*sql.Tx, int) {
		if i := n.Add(1) - 1; i < 2 {
			close(started[i])
			<-release[i]
		}
	}
	waitPending := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			db.batcher.mu.Lock()
			got := len(db.batcher.pending)
			db.batcher.mu.Unlock()
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d writes pending, want %d", got, want)
			}
		}
	}
	ctx := context.Background()
	errs := make(chan error, 2)
	go func() { errs <- db.batch(ctx, insertOp("a")) }()
	<-started[0]
	// b leads batch 2, which takes c's write along.
	go func() { errs <- db.batch(ctx, insertOp("b")) }()
	waitPending(1)
	cctx, cancel := context.WithCancel(ctx)
	type result struct {
		rows int64
		err  error
	}
	c := make(chan result, 1)
	go func() {
		var rows int64 // written by the leader's goroutine
		err := db.batch(cctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `INSERT INTO t (id) VALUES ('c')`)
			if err != nil {
				return err
			}
			rows, err = res.RowsAffected()
			return err
		})
		c <- result{rows, err}
	}()
	waitPending(2)
	close(release[0])
	<-started[1]
	cancel()
	select {
	case r := <-c:
		t.Fatalf("a caller whose ctx ended left its taken write while the batch ran: %v", r.err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release[1])
	select {
	case r := <-c:
		if r.err != nil || r.rows != 1 {
			t.Fatalf("a taken write whose caller's ctx ended: %d rows, %v; want 1 row, nil", r.rows, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a caller whose ctx ended still waits after its batch ended")
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if !rowExists(t, db, "c") {
		t.Fatal("a taken write did not commit after its caller's ctx ended")
	}
}

// TestBatchStress: callers with random deadlines come and go; whatever
// happens, every call returns, every write is acknowledged and there or
// dropped and not, and the batcher ends idle.
func TestBatchStress(t *testing.T) {
	db := batchTable(t)
	const callers, writes = 32, 40
	type result struct {
		id  string
		err error
	}
	results := make(chan result, callers*writes)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range writes {
				id := fmt.Sprintf("%d-%d", c, i)
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.IntN(30000))*time.Microsecond)
				err := db.batch(ctx, insertOp(id))
				cancel()
				results <- result{id, err}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("callers still waiting after 60s")
	}
	close(results)
	var acked, dropped int
	for r := range results {
		switch {
		case r.err == nil:
			acked++
			if !rowExists(t, db, r.id) {
				t.Fatalf("acknowledged write %s is missing", r.id)
			}
		case r.err == context.DeadlineExceeded:
			dropped++
			if rowExists(t, db, r.id) {
				t.Fatalf("write %s was reported dropped but committed", r.id)
			}
		default:
			t.Fatalf("write %s: %v", r.id, r.err)
		}
	}
	t.Logf("%d acknowledged, %d dropped; %d writes in %d transactions",
		acked, dropped, db.batcher.ops.Load(), db.batcher.batches.Load())
	db.batcher.mu.Lock()
	defer db.batcher.mu.Unlock()
	if db.batcher.leading || len(db.batcher.pending) != 0 {
		t.Fatalf("batcher not idle after the calls: leading %v, %d pending", db.batcher.leading, len(db.batcher.pending))
	}
}

// TestBatchRelaxed: a batch of relaxed writes alone commits with
// synchronous=NORMAL; one with any other write, with FULL; and the writer
// is back to FULL after either.
func TestBatchRelaxed(t *testing.T) {
	db := batchTable(t)
	ctx := context.Background()
	var seen []int
	db.batcher.hook = func(tx *sql.Tx, _ int) {
		var level int
		if err := tx.QueryRow(`PRAGMA synchronous`).Scan(&level); err != nil {
			t.Error(err)
		}
		seen = append(seen, level)
	}
	if err := db.batchRelaxed(ctx, insertOp("relaxed")); err != nil {
		t.Fatal(err)
	}
	if err := db.batch(ctx, insertOp("durable")); err != nil {
		t.Fatal(err)
	}
	// A relaxed write sharing a batch with a durable one gets FULL.
	release, waitPending := holdFirstBatch(t, db)
	hold := db.batcher.hook
	db.batcher.hook = func(tx *sql.Tx, n int) {
		var level int
		if err := tx.QueryRow(`PRAGMA synchronous`).Scan(&level); err != nil {
			t.Error(err)
		}
		seen = append(seen, level)
		hold(tx, n)
	}
	errs := make(chan error, 3)
	go func() { errs <- db.batch(ctx, insertOp("first")) }()
	waitPending(0)
	go func() { errs <- db.batchRelaxed(ctx, insertOp("r2")) }()
	waitPending(1)
	go func() { errs <- db.batch(ctx, insertOp("d2")) }()
	waitPending(2)
	close(release)
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// 1 is NORMAL, 2 is FULL.
	if want := []int{1, 2, 2, 2}; !slices.Equal(seen, want) {
		t.Fatalf("synchronous in each batch = %v, want %v", seen, want)
	}
	var level int
	if err := db.write.QueryRow(`PRAGMA synchronous`).Scan(&level); err != nil || level != 2 {
		t.Fatalf("synchronous after the batches = %d (%v), want 2 (FULL)", level, err)
	}
}

// TestPreparedStatements: batched writes reuse statements prepared on the
// writer, and a DB closed and opened again prepares them afresh.
func TestPreparedStatements(t *testing.T) {
	ctx := context.Background()
	db, _, s := jobFixture(t)
	for i := range 3 {
		mustCreate(t, s, testJob("greet", time.Duration(i)))
	}
	db.batcher.stmtMu.Lock()
	n, pool := len(db.batcher.stmts), db.batcher.stmtPool
	db.batcher.stmtMu.Unlock()
	if n == 0 || pool != db.write {
		t.Fatalf("%d statements prepared on %p (writer %p), want some on the writer", n, pool, db.write)
	}
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		j := mustCreate(t, s, testJob("greet", time.Hour+time.Duration(i)))
		mustFind(t, s, j.ID)
	}
	db.batcher.stmtMu.Lock()
	defer db.batcher.stmtMu.Unlock()
	if db.batcher.stmtPool != db.write || len(db.batcher.stmts) == 0 {
		t.Fatal("after reopening, the statements were not prepared on the new writer")
	}
}
