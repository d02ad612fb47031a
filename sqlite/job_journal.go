package sqlite

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdahq/lambda"
)

// The journal of async jobs. A plain async job (no idempotency key, no
// schedule: what submissions mostly are) is not inserted into jobs when it
// is created: its create, its claims and its outcomes are appended to
// job_journal, one row per batch for all the jobs of the batch, and the job
// lives in memory. Once it has ended, it is written to jobs once, as it
// ended, with the other ended jobs of the moment, in a transaction of its
// own (job_journal_flush.go). Each row of jobs costs its B-tree and five
// indexes, the count trigger and, at its outcome, their moves again: a
// third of an async job's CPU time, on the path of every submission. A
// journal row costs one append, whatever the batch carries.
//
// Durability is unchanged: the journal's rows commit in the same batches,
// with the same synchronous setting, as the writes they replace (a create
// before its 202). A crash loses the memory, not the journal: the next
// Open writes every job the journal holds into jobs, as its records left
// it (a claimed job claimed, for RequeueRunning to count its attempt), and
// empties the journal.
//
// Reads merge the memory as they merge the running overlay: FindJob looks
// there first, ListJobs, CountJobs and DueJobs add its jobs, and the
// writer's checks (the queue limit, NewJob.Start) count its waiting ones.
// Claims take a function's due jobs from both in one order, (NextRunAt,
// seq): the journal reserves each job's seq in jobs' AUTOINCREMENT when it
// is created, so a job has one seq from its create on, in memory and in
// its row.
//
// The memory is bounded (maxJournalJobs, maxJournalBytes): a create that
// does not fit goes to jobs, as before the journal.

// Bounds of the jobs in memory. A burst of up to half of them (lambda
// bench's rounds of 5,000 jobs) is written after it (journalDue): with
// 4,096, a flush of 1,024 ended jobs ran within the burst every 1,024,
// and a round's jobs per second fell by a tenth (docs/performance.md).
// 32 MB is what 16,384 jobs of 2 KB weigh (journalSize).
const (
	maxJournalJobs  = 16384
	maxJournalBytes = 32 << 20
)

// journalJob is a job of the journal.
type journalJob struct {
	// job is the job as its row will be: Status is what it stores
	// (queued, retrying or ended), never running. The payload is kept.
	job *lambda.Job
	// args are the job's row (jobArgs, the payload included): reads
	// see the job as a read of its row would.
	args      []any
	seq       int64
	row       int64  // the journal row of its create
	running   bool   // claimed
	claimedAt string // of its last claim, for a flush of a running job
	size      int
	// flushed: written to jobs by a batch not yet committed, or
	// committed and about to leave the memory.
	flushed bool
}

func (e *journalJob) ended() bool { return ended(e.job.Status) }

// waits reports whether e is a waiting job in a function's list.
func (e *journalJob) waits() bool { return !e.running && !e.ended() }

// journalJobs is the memory of the journal. Its lock is held for map and
// list operations only.
type journalJobs struct {
	mu      sync.Mutex
	byID    map[string]*journalJob
	waiting map[string][]*journalJob // per function, in claim order
	bytes   int
	ended   int
	// endedSince is when the oldest ended job still in memory ended (zero
	// without one): the flush's lag bound.
	endedSince time.Time
	lastRow    int64 // the newest journal row written

	// flushing counts the flushes whose jobs may be both in memory and
	// in jobs (from the start of their batch until the jobs left the
	// memory), and gen the flushes that ended: CountJobs reads again when
	// a flush ran meanwhile.
	flushing atomic.Int32
	gen      atomic.Uint64
}

// journalOrder is the claim order.
func journalOrder(a, b *journalJob) int {
	if c := a.job.NextRunAt.Compare(b.job.NextRunAt); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// fits reports whether n more jobs of size bytes fit in the memory.
func (m *journalJobs) fits(n, bytes int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byID)+n <= maxJournalJobs && m.bytes+bytes <= maxJournalBytes
}

// add puts jobs created by the writer's batch into the memory; row is
// their create's.
func (m *journalJobs) add(jobs []*journalJob, row int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byID == nil {
		m.byID, m.waiting = map[string]*journalJob{}, map[string][]*journalJob{}
	}
	for _, e := range jobs {
		e.row = row
		m.byID[e.job.ID] = e
		m.bytes += e.size
		if e.waits() {
			m.insertWaiting(e)
		}
	}
}

// noteRow records a journal row written by the batch.
func (m *journalJobs) noteRow(row int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastRow = max(m.lastRow, row)
}

// insertWaiting puts e in its function's list, in claim order; m.mu is
// held.
func (m *journalJobs) insertWaiting(e *journalJob) {
	f := e.job.Function
	list := m.waiting[f]
	i, _ := slices.BinarySearchFunc(list, e, journalOrder)
	m.waiting[f] = slices.Insert(list, i, e)
}

// removeWaiting takes e out of its function's list; m.mu is held.
func (m *journalJobs) removeWaiting(e *journalJob) {
	f := e.job.Function
	list := m.waiting[f]
	if i := slices.Index(list, e); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(m.waiting, f)
	} else {
		m.waiting[f] = list
	}
}

// remove takes e out of the memory, if there: its create did not
// commit.
func (m *journalJobs) remove(e *journalJob) {
	if e == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byID[e.job.ID] == e {
		m.drop(e)
	}
}

// drop takes e out of the memory; m.mu is held.
func (m *journalJobs) drop(e *journalJob) {
	if e.waits() {
		m.removeWaiting(e)
	}
	if e.ended() {
		m.ended--
	}
	m.bytes -= e.size
	delete(m.byID, e.job.ID)
	if m.ended == 0 {
		m.endedSince = time.Time{}
	}
}

// has reports whether id is a job of the journal.
func (m *journalJobs) has(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.byID[id]
	return ok
}

// storedStatus is the status job id's row would store.
func (m *journalJobs) storedStatus(id string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.byID[id]
	if e == nil {
		return "", false
	}
	return e.job.Status, true
}

// status is job id's status, running if claimed, when it is a job of
// function in the memory.
func (m *journalJobs) status(id, function string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.byID[id]
	if e == nil || e.job.Function != function {
		return "", false
	}
	if e.running {
		return lambda.StatusRunning, true
	}
	return e.job.Status, true
}

// waitingCount is the number of function's waiting jobs.
func (m *journalJobs) waitingCount(function string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.waiting[function])
}

// due returns up to limit of function's jobs due by now, in claim order,
// without taking them.
func (m *journalJobs) due(function string, now time.Time, limit int) []*journalJob {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*journalJob
	for _, e := range m.waiting[function] {
		if len(out) == limit || e.job.NextRunAt.After(now) {
			break
		}
		if !e.flushed { // a flush of everything has it in its row
			out = append(out, e)
		}
	}
	return out
}

// claim marks jobs running, claimed at now, and returns what a claim
// returns of each: running, StartedAt set at its first claim.
func (m *journalJobs) claim(jobs []*journalJob, now time.Time, nowText string) []*lambda.Job {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*lambda.Job, len(jobs))
	taken := make(map[*journalJob]bool, len(jobs))
	for _, e := range jobs {
		taken[e] = true
	}
	// One pass over the function's list, not one per job: a claim takes
	// up to its slots from a list of thousands.
	if len(jobs) > 0 {
		f := jobs[0].job.Function
		list := slices.DeleteFunc(m.waiting[f], func(e *journalJob) bool { return taken[e] })
		if len(list) == 0 {
			delete(m.waiting, f)
		} else {
			m.waiting[f] = list
		}
	}
	for i, e := range jobs {
		e.running, e.claimedAt = true, nowText
		if e.job.StartedAt == nil {
			t := now
			e.job.StartedAt = &t
			e.args[argStartedAt] = nowText
		}
		out[i] = e.job.Clone()
		out[i].Status = lambda.StatusRunning
	}
	return out
}

// unclaim puts jobs claimed by a batch that did not commit back in line.
func (m *journalJobs) unclaim(ids []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		if e := m.byID[id]; e != nil && e.running {
			e.running = false
			m.insertWaiting(e)
		}
	}
}

// journalState is a job's state in memory, for set to put back.
type journalState struct {
	job     *lambda.Job
	args    []any
	running bool
	at      time.Time // the store's time of the write
}

// set gives job id its new state (its payload kept) and returns the one it
// had; false when id is not in the memory or a flush took it (its row
// is written, or about to be in the same transaction): the state is then
// for its row. st.job is the memory's once set.
func (m *journalJobs) set(id string, st journalState) (journalState, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.byID[id]
	if e == nil || e.flushed {
		return journalState{}, false
	}
	old := journalState{job: e.job, args: e.args, running: e.running}
	st.args = slices.Clone(st.args)
	st.job.Payload, st.args[argPayload] = e.job.Payload, e.args[argPayload]
	m.setLocked(e, st)
	return old, true
}

// setLocked changes e's state; m.mu is held.
func (m *journalJobs) setLocked(e *journalJob, st journalState) {
	if e.waits() {
		m.removeWaiting(e)
	}
	if e.ended() {
		m.ended--
	}
	e.job, e.args, e.running = st.job, st.args, st.running
	size := journalSize(st.args) // a response may weigh 256 KB
	m.bytes += size - e.size
	e.size = size
	if e.running && e.claimedAt == "" {
		e.claimedAt = formatTime(st.at) // as a claim would have
	}
	if e.waits() {
		m.insertWaiting(e)
	}
	if e.ended() {
		if m.ended == 0 {
			m.endedSince = time.Now() // the flush's lag is of this clock, not the store's
		}
		m.ended++
	}
}

// restore puts back the state set returned, after its write failed.
func (m *journalJobs) restore(id string, s journalState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.byID[id]; e != nil {
		m.setLocked(e, s)
	}
}

// dropFunction forgets the jobs of a deleted function; their journal rows
// are skipped when flushed or recovered (the function is gone).
func (m *journalJobs) dropFunction(function string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.byID {
		if e.job.Function == function {
			m.drop(e)
		}
	}
}

func (s *JobStore) journal() *journalJobs { return &s.db.batcher.journal }
