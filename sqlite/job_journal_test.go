package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// stopFlusher stops db's background flush of the journal, for a test to
// flush when it means to.
func stopFlusher(db *DB) {
	db.stopJournal()
	<-db.journalDone
	db.stopJournal = nil
}

// crashDB leaves db as a killed process would: the journal's flusher
// stopped, nothing flushed, the connections closed.
func crashDB(t *testing.T, db *DB) {
	t.Helper()
	stopFlusher(db)
	db.read.Close()
	db.write.Close()
	db.read, db.write = nil, nil
}

// reopen opens the file of db, closed, again.
func reopen(t *testing.T, db *DB) (*DB, *JobStore) {
	t.Helper()
	again := NewDB(db.Path)
	if err := again.Open(context.Background()); err != nil {
		t.Fatalf("Open after a crash: %v", err)
	}
	again.Now = db.Now
	t.Cleanup(func() { again.Close(context.Background()) })
	return again, NewJobStore(again)
}

func journalRows(t *testing.T, db *DB) int { return tableRows(t, db, "job_journal") }

func jobRows(t *testing.T, db *DB) int { return tableRows(t, db, "jobs") }

// tableRows counts the rows of table, a name of the tests' own.
func tableRows(t *testing.T, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.read.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A crash loses the journal's memory, not its jobs: the next Open writes
// each into its row as the journal left it, and a job claimed then has its
// interrupted attempt counted at the next start, as one claimed in a row.
func TestJournalRecoversAfterCrash(t *testing.T) {
	ctx := context.Background()
	db, _, s := jobFixture(t)
	var jobs []*lambda.Job
	for i := range 4 {
		jobs = append(jobs, mustCreate(t, s, testJob("greet", time.Duration(i)*time.Millisecond)))
	}
	if n := jobRows(t, db); n != 0 {
		t.Fatalf("%d rows after plain creates; want them in the journal", n)
	}
	claimed, err := s.ClaimJobs(ctx, "greet", t0.Add(time.Hour), 2)
	if err != nil || len(claimed) != 2 || claimed[0].ID != jobs[0].ID || claimed[1].ID != jobs[1].ID {
		t.Fatalf("ClaimJobs = %v, %v; want the two oldest", claimed, err)
	}
	done := claimed[0]
	done.Status, done.Attempts, done.Response, done.HTTPStatus = lambda.StatusSucceeded, 1, []byte(`"ok"`), 200
	if err := s.UpdateJob(ctx, done); err != nil {
		t.Fatal(err)
	}
	want := map[string]*lambda.Job{}
	for _, j := range jobs {
		want[j.ID] = mustFind(t, s, j.ID)
	}
	crashDB(t, db)

	db2, s2 := reopen(t, db)
	if n := journalRows(t, db2); n != 0 {
		t.Errorf("%d journal rows after Open; want it emptied into jobs", n)
	}
	if n := jobRows(t, db2); n != 4 {
		t.Errorf("%d rows after Open; want the 4 jobs", n)
	}
	got := mustFind(t, s2, done.ID)
	sameJob(t, got, want[done.ID])
	for _, j := range jobs[2:] {
		sameJob(t, mustFind(t, s2, j.ID), want[j.ID])
	}
	n, err := s2.RequeueRunning(ctx, t0.Add(2*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("RequeueRunning = %d, %v; want the one claimed job", n, err)
	}
	if got := mustFind(t, s2, claimed[1].ID); got.Status != lambda.StatusQueued || got.Attempts != 1 ||
		len(got.History) != 1 || got.History[0].Error != lambda.InterruptedAttemptError {
		t.Errorf("the job running at the crash: %s, %d attempts, history %+v; want queued, its attempt counted", got.Status, got.Attempts, got.History)
	}
}

// Ended jobs are written into jobs by a flush, as they are in memory, and
// the journal keeps only the rows a job still in memory needs.
func TestJournalFlushWritesEndedJobs(t *testing.T) {
	ctx := context.Background()
	db, _, s := jobFixture(t)
	stopFlusher(db)
	var jobs []*lambda.Job
	for i := range 3 {
		jobs = append(jobs, mustCreate(t, s, testJob("greet", time.Duration(i)*time.Millisecond)))
	}
	claimed, err := s.ClaimJobs(ctx, "greet", t0.Add(time.Hour), 3)
	if err != nil || len(claimed) != 3 {
		t.Fatalf("ClaimJobs = %v, %v", claimed, err)
	}
	for _, j := range claimed[:2] {
		j.Status, j.Attempts = lambda.StatusDead, 1
		if err := s.UpdateJob(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	before := map[string]*lambda.Job{}
	for _, j := range jobs {
		before[j.ID] = mustFind(t, s, j.ID)
	}
	listed, err := s.ListJobs(ctx, lambda.JobFilter{Function: "greet"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.flushJournal(ctx, false)
	if err != nil || n != 2 {
		t.Fatalf("flushJournal = %d, %v; want the 2 ended jobs", n, err)
	}
	if n := jobRows(t, db); n != 2 {
		t.Errorf("%d rows; want 2", n)
	}
	if !s.journal().has(claimed[2].ID) || s.journal().has(claimed[0].ID) {
		t.Error("the running job must stay in memory, the ended ones leave it")
	}
	// Rows before the running job's create are gone; its create, the
	// claim and the two outcomes after it stay.
	if n := journalRows(t, db); n != 4 {
		t.Errorf("%d journal rows after the flush; want 4 (the create, the claim, two outcomes)", n)
	}
	for _, j := range jobs {
		sameJob(t, mustFind(t, s, j.ID), before[j.ID])
	}
	again, err := s.ListJobs(ctx, lambda.JobFilter{Function: "greet"})
	if err != nil {
		t.Fatal(err)
	}
	if ids(again) != ids(listed) {
		t.Errorf("listed %s after the flush, %s before", ids(again), ids(listed))
	}
	if c, err := s.CountJobs(ctx); err != nil || !reflect.DeepEqual(c["greet"], map[string]int{lambda.StatusDead: 2, lambda.StatusRunning: 1}) {
		t.Errorf("CountJobs = %v, %v; want 2 dead, 1 running", c, err)
	}
}

func ids(jobs []*lambda.Job) string {
	s := ""
	for _, j := range jobs {
		s += j.ID + fmt.Sprintf("(%d) ", j.Seq)
	}
	return s
}

// A function's jobs in rows and in the journal are claimed in one order:
// NextRunAt, then creation (seq).
func TestClaimsMergeJournalAndRows(t *testing.T) {
	ctx := context.Background()
	db, _, s := jobFixture(t)
	db.batcher.noJournal = true
	row1 := mustCreate(t, s, testJob("greet", 0))
	db.batcher.noJournal = false
	mem1 := mustCreate(t, s, testJob("greet", time.Millisecond))
	mem2 := mustCreate(t, s, testJob("greet", 2*time.Millisecond))
	db.batcher.noJournal = true
	row2 := mustCreate(t, s, testJob("greet", 3*time.Millisecond))
	db.batcher.noJournal = false
	if !s.journal().has(mem1.ID) || s.journal().has(row1.ID) {
		t.Fatal("the set-up did not put the jobs where it meant to")
	}
	// A retry due before them all, in a row.
	db.batcher.noJournal = true
	retry := mustCreate(t, s, testJob("greet", 4*time.Millisecond))
	db.batcher.noJournal = false
	retry.Status, retry.NextRunAt = lambda.StatusRetrying, t0.Add(-time.Second)
	if err := s.UpdateJob(ctx, retry); err != nil {
		t.Fatal(err)
	}
	want := []string{retry.ID, row1.ID, mem1.ID, mem2.ID, row2.ID}
	var got []string
	for _, limit := range []int{2, 1, 3} {
		claimed, err := s.ClaimJobs(ctx, "greet", t0.Add(time.Hour), limit)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range claimed {
			if j.Status != lambda.StatusRunning {
				t.Errorf("claimed %s is %s", j.ID, j.Status)
			}
			got = append(got, j.ID)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("claimed %v; want %v", got, want)
	}
	// Nothing is claimed twice nor left claimed in a row.
	if claimed, err := s.ClaimJobs(ctx, "greet", t0.Add(time.Hour), 10); err != nil || len(claimed) != 0 {
		t.Errorf("a claim after all: %v, %v", claimed, err)
	}
	due, err := s.DueJobs(ctx)
	if err != nil || len(due) != 0 {
		t.Errorf("DueJobs = %v, %v; want none", due, err)
	}
}

// The journal's memory is bounded: past it, creates go to rows, and a
// function's limit and start count both.
func TestJournalFullGoesToRows(t *testing.T) {
	ctx := context.Background()
	db, _, s := jobFixture(t)
	createJobs(t, s, maxJournalJobs+100)
	// A batch that does not fit whole goes to rows whole.
	if n := jobRows(t, db); n < 100 || n >= 100+maxBatchOps {
		t.Errorf("%d rows; want the 100 creates past the journal's %d, and at most a batch more", n, maxJournalJobs)
	}
	c, err := s.CountJobs(ctx)
	if err != nil || c["greet"][lambda.StatusQueued] != maxJournalJobs+100 {
		t.Errorf("CountJobs = %v, %v; want %d queued", c, err, maxJournalJobs+100)
	}
	_, _, err = s.CreateJob(ctx, lambda.NewJob{Job: testJob("greet", time.Hour), MaxQueued: maxJournalJobs + 100})
	if lambda.ErrorCode(err) != lambda.ETHROTTLED {
		t.Errorf("a create past the limit, counting both: %v; want throttled", err)
	}
	j, _, err := s.CreateJob(ctx, lambda.NewJob{Job: testJob("greet", time.Hour), Start: true})
	if err != nil || j.Status != lambda.StatusQueued {
		t.Errorf("a create asking to start while jobs wait: %v, %v; want queued", j, err)
	}
}

// A deleted function's jobs go with it, those of the journal too, and a
// journal naming them is recovered without them.
func TestJournalForgetsDeletedFunctions(t *testing.T) {
	ctx := context.Background()
	db, fs, s := jobFixture(t)
	gone := mustCreate(t, s, testJob("other", 0))
	kept := mustCreate(t, s, testJob("greet", 0))
	if err := fs.DeleteFunction(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindJob(ctx, gone.ID); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("FindJob of a deleted function's job: %v; want not found", err)
	}
	crashDB(t, db)
	_, s2 := reopen(t, db)
	if _, err := s2.FindJob(ctx, gone.ID); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("after recovery: %v; want not found", err)
	}
	mustFind(t, s2, kept.ID)
}

// A clean Close leaves the journal empty, every job in its row.
func TestCloseFlushesTheJournal(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lambda.db")
	db := NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	mustPublish(t, NewFunctionStore(db), testVersion("greet", 1))
	s := NewJobStore(db)
	j := mustCreate(t, s, testJob("greet", 0))
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	db2 := NewDB(path)
	if err := db2.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db2.Close(ctx)
	if n := journalRows(t, db2); n != 0 {
		t.Errorf("%d journal rows after a clean close", n)
	}
	mustFind(t, NewJobStore(db2), j.ID)
}

func TestJournalCodecRoundTrip(t *testing.T) {
	j := testJob("greet", 0)
	j.ID, j.Payload, j.StartedAt = "id", []byte{0, 1, 2, 255}, &t0
	args, err := jobArgs(j)
	if err != nil {
		t.Fatal(err)
	}
	var e journalEncoder
	if err := e.values(args); err != nil {
		t.Fatal(err)
	}
	d := journalDecoder{b: e.b}
	got := d.values()
	if d.err != nil || len(d.b) != 0 {
		t.Fatalf("decode: %v, %d bytes left", d.err, len(d.b))
	}
	back, err := scanJob(argsScanner(got))
	if err != nil {
		t.Fatal(err)
	}
	direct, err := scanJob(argsScanner(args))
	if err != nil {
		t.Fatal(err)
	}
	sameJob(t, back, direct)
}

// The decoder reads what is on disk: a damaged record is an error, never
// a panic.
func FuzzJournalDecoder(f *testing.F) {
	args, _ := jobArgs(testJob("greet", 0))
	var e journalEncoder
	e.uint(1)
	e.uint(7)
	_ = e.value(true)
	_ = e.values(args)
	f.Add(e.b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := journalDecoder{b: b}
		for n := d.uint(); n > 0 && d.err == nil && n < 1<<20; n-- {
			d.uint()
			d.value()
			d.values()
		}
	})
}

// A redrive counts the journal's waiting jobs against the function's
// limit, as a create does.
func TestRedriveCountsTheJournal(t *testing.T) {
	ctx := context.Background()
	_, _, s := jobFixture(t)
	for i := range 2 {
		mustCreate(t, s, testJob("greet", time.Duration(i)))
	}
	for i := range 2 {
		setStatus(t, s, mustCreate(t, s, testJob("greet", time.Minute+time.Duration(i))), lambda.StatusDead)
	}
	_, err := s.RedriveJobs(ctx, "greet", nil, t0.Add(time.Hour), 3)
	if lambda.ErrorCode(err) != lambda.ETHROTTLED {
		t.Errorf("redrive of 2 with 2 waiting, limit 3: %v; want throttled", err)
	}
	if _, err := s.RedriveJobs(ctx, "greet", nil, t0.Add(time.Hour), 4); err != nil {
		t.Errorf("redrive of 2 with 2 waiting, limit 4: %v", err)
	}
}

// A flush writes at most maxFlushJobs jobs, the oldest first, so that the
// writes queued behind it wait for a bounded transaction; Close's writes
// them all.
func TestJournalFlushIsBounded(t *testing.T) {
	ctx := context.Background()
	db, _, s := jobFixture(t)
	stopFlusher(db)
	total := maxFlushJobs + 40
	createJobs(t, s, total)
	claimed, err := s.ClaimJobs(ctx, "greet", t0.Add(time.Hour), total)
	if err != nil || len(claimed) != total {
		t.Fatalf("ClaimJobs = %d jobs, %v; want %d", len(claimed), err, total)
	}
	var wg sync.WaitGroup
	for w := range 32 { // outcomes linger for company: not one at a time
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += 32 {
				j := claimed[i]
				j.Status, j.Attempts = lambda.StatusSucceeded, 1
				if err := s.UpdateJob(ctx, j); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	n, err := db.flushJournal(ctx, false)
	if err != nil || n != maxFlushJobs {
		t.Fatalf("flushJournal = %d, %v; want %d", n, err, maxFlushJobs)
	}
	var newest int64
	if err := db.read.QueryRowContext(ctx, `SELECT max(seq) FROM jobs`).Scan(&newest); err != nil {
		t.Fatal(err)
	}
	m := &db.batcher.journal
	m.mu.Lock()
	left := len(m.byID)
	for _, e := range m.byID {
		if e.seq <= newest {
			t.Errorf("job seq %d stays in memory, older than seq %d flushed: the oldest go first", e.seq, newest)
		}
	}
	m.mu.Unlock()
	if left != 40 {
		t.Errorf("%d jobs left in memory; want 40", left)
	}
	if c, err := s.CountJobs(ctx); err != nil || c["greet"][lambda.StatusSucceeded] != total {
		t.Errorf("CountJobs = %v, %v; want %d succeeded, in rows and in memory", c, err, total)
	}
	if n, err := db.flushJournal(ctx, false); err != nil || n != 40 {
		t.Errorf("the next flush = %d, %v; want the 40 left", n, err)
	}
	if n := journalRows(t, db); n != 0 {
		t.Errorf("%d journal rows once every job was flushed; want 0", n)
	}
}

// createJobs creates n jobs of greet from 32 goroutines, so that they
// share batches as a burst does.
func createJobs(t *testing.T, s *JobStore, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 32 {
				if _, _, err := s.CreateJob(context.Background(), lambda.NewJob{Job: testJob("greet", time.Duration(i))}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// journalSize, which bounds the memory, counts what the jobs hold on the
// heap: not a quarter of it, as it did with 256 bytes a job.
func TestJournalSizeCountsTheHeap(t *testing.T) {
	db, _, s := jobFixture(t)
	stopFlusher(db)
	createJobs(t, s, 64) // statements prepared, maps grown
	const n = 3200
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := &db.batcher.journal
	counted := m.bytes
	createJobs(t, s, n)
	runtime.GC()
	runtime.ReadMemStats(&after)
	m.mu.Lock()
	counted = m.bytes - counted
	m.mu.Unlock()
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d jobs: %d bytes counted, %d on the heap (%d and %d a job)", n, counted, heap, counted/n, heap/n)
	if float64(counted) < 0.7*float64(heap) || float64(counted) > 2*float64(heap) {
		t.Errorf("the journal counts %d bytes a job, the heap grew %d a job: count what the heap holds", counted/n, heap/n)
	}
}
