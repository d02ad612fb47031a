package sqlite

import (
	"strconv"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// The running status of async jobs is kept in memory, not in jobs: a
// claimed job stays queued (or retrying) in its row until the outcome's
// write, its one status change. A status change costs the row's move in
// three indexes and the count trigger, more than the claim's reads; the
// overlay spares every job one. Reads (FindJob, ListJobs, CountJobs,
// DueJobs) and the writer's checks (the queue limit, NewJob.Start, schedule
// overlaps) merge it, so that callers see what they saw before. The claim
// itself reads claimed_at, which the writer's rows and the overlay set and
// clear together. A crash loses the overlay, as intended: the jobs are
// still queued and run again at the next start; their claimed_at tells
// that start which ones were running, so that their attempt is counted
// (RequeueRunning).
//
// Entries are added and marked written only inside the writer's batches, so
// the writer's own checks see them in step with the rows. A reader sees an
// entry's job as running only while its row is still waiting: once the
// outcome's commit is visible, the row speaks for itself.

// runningJob is an async job running with its row still waiting.
type runningJob struct {
	id, function string
	seq          int64
	stored       string // the row's status: queued or retrying
	schedule     string
	exclusive    bool      // of a schedule with overlap skip or queue
	started      time.Time // the StartedAt shown while the row has none
	// written: the outcome's statement ran in the writer's transaction,
	// which has not committed yet; the writer's checks count the row as
	// what it now says.
	written bool
}

// runningJobs is the overlay. Its lock is held for map operations only.
type runningJobs struct {
	mu   sync.Mutex
	byID map[string]*runningJob
}

func (r *runningJobs) add(e *runningJob) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil {
		r.byID = map[string]*runningJob{}
	}
	r.byID[e.id] = e
}

// get returns a copy of id's entry.
func (r *runningJobs) get(id string) (runningJob, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.byID[id]
	if !ok {
		return runningJob{}, false
	}
	return *e, true
}

func (r *runningJobs) remove(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byID, id)
}

// finish removes id's entry once its outcome committed, unless a claim
// took the job again meanwhile (its new entry is not written).
func (r *runningJobs) finish(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e := r.byID[id]; e != nil && e.written {
		delete(r.byID, id)
	}
}

// setWritten marks id's outcome as written in the writer's transaction, or
// unmarks it when that transaction failed.
func (r *runningJobs) setWritten(id string, written bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e := r.byID[id]; e != nil {
		e.written = written
	}
}

// clear forgets every entry: the server starts anew (RequeueRunning).
func (r *runningJobs) clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byID = nil
}

// snapshot returns copies of the entries of function ("" for all).
func (r *runningJobs) snapshot(function string) map[int64]runningJob {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[int64]runningJob, len(r.byID))
	for _, e := range r.byID {
		if function == "" || e.function == function {
			out[e.seq] = *e
		}
	}
	return out
}

// inflight counts function's entries whose outcome is not written: rows the
// writer reads as waiting although their jobs run.
func (r *runningJobs) inflight(function string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.byID {
		if e.function == function && !e.written {
			n++
		}
	}
	return n
}

// apply shows j as running when e is its entry and its row still waits.
func (e runningJob) apply(j *lambda.Job) {
	if j.Status != lambda.StatusQueued && j.Status != lambda.StatusRetrying {
		return
	}
	j.Status = lambda.StatusRunning
	if j.StartedAt == nil {
		t := e.started
		j.StartedAt = &t
	}
}

// seqList encodes the seqs of m as a JSON array for json_each.
func seqList(m map[int64]runningJob) string {
	b := make([]byte, 0, 2+8*len(m))
	b = append(b, '[')
	for s := range m {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, s, 10)
	}
	return string(append(b, ']'))
}

// exclusiveOverlap reports whether a job of schedule with overlap keeps
// the schedule's other jobs from running beside it.
func exclusiveOverlap(schedule, overlap string) bool {
	return schedule != "" && (overlap == lambda.OverlapSkip || overlap == lambda.OverlapQueue)
}

// running returns the DB's overlay, which lives beside the writer it must
// keep in step with.
func (s *JobStore) running() *runningJobs { return &s.db.batcher.running }
