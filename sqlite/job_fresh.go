package sqlite

import (
	"sync"

	"github.com/lambdahq/lambda"
)

// A claim returned each job's whole row, and reading 29 columns into a
// job cost about as much as the claim's own statement. Most claimed jobs
// were created by this server moments before (a burst's backlog), so the
// grouped creates keep them here, and a claim reads from the row only its
// seq and whether it is still as created; the rest comes from memory, and
// from the row for any other job. Bounded in jobs and payload bytes: past
// the bounds the oldest go, and are read from their rows when claimed.

const (
	maxFreshJobs  = 4096
	maxFreshBytes = 16 << 20
)

// freshJobs holds async jobs as created, by seq.
type freshJobs struct {
	mu    sync.Mutex
	bySeq map[int64]*lambda.Job
	byID  map[string]int64
	order []int64 // seqs in the order added; some may be gone
	bytes int
}

// add keeps j, created with seq and not claimed. j must not change after.
func (f *freshJobs) add(seq int64, j *lambda.Job) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bySeq == nil {
		f.bySeq, f.byID = map[int64]*lambda.Job{}, map[string]int64{}
	}
	if old, ok := f.bySeq[seq]; ok {
		f.dropLocked(seq, old)
	}
	f.bySeq[seq], f.byID[j.ID] = j, seq
	f.order = append(f.order, seq)
	f.bytes += len(j.Payload)
	for len(f.bySeq) > maxFreshJobs || f.bytes > maxFreshBytes {
		s := f.order[0]
		f.order = f.order[1:]
		if old, ok := f.bySeq[s]; ok {
			f.dropLocked(s, old)
		}
	}
	if len(f.order) > 2*maxFreshJobs {
		// Compact: keep the seqs still held, in order.
		kept := make([]int64, 0, len(f.bySeq))
		for _, s := range f.order {
			if _, ok := f.bySeq[s]; ok {
				kept = append(kept, s)
			}
		}
		f.order = kept
	}
}

// take removes and returns the job of seq if it is job id, else nil.
func (f *freshJobs) take(seq int64, id string) *lambda.Job {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.bySeq[seq]
	if !ok {
		return nil
	}
	f.dropLocked(seq, j)
	if j.ID != id {
		return nil // a seq a rolled-back create had: not this job
	}
	return j
}

// forget drops job id: its row changed.
func (f *freshJobs) forget(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if seq, ok := f.byID[id]; ok {
		f.dropLocked(seq, f.bySeq[seq])
	}
}

// clear drops every job: the server starts anew.
func (f *freshJobs) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bySeq, f.byID, f.order, f.bytes = nil, nil, nil, 0
}

func (f *freshJobs) dropLocked(seq int64, j *lambda.Job) {
	delete(f.bySeq, seq)
	if j != nil {
		if f.byID[j.ID] == seq {
			delete(f.byID, j.ID)
		}
		f.bytes -= len(j.Payload)
	}
}

// freshCopy is j as a claim would read it from its row: times in UTC
// without a monotonic reading.
func freshCopy(j *lambda.Job) *lambda.Job {
	c := *j
	c.CreatedAt, c.NextRunAt = c.CreatedAt.UTC().Round(0), c.NextRunAt.UTC().Round(0)
	return &c
}

// fresh returns the DB's created jobs, which live beside the writer as the
// running overlay does: every JobStore of the DB shares them.
func (s *JobStore) fresh() *freshJobs { return &s.db.batcher.fresh }
