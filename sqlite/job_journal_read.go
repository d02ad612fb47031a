package sqlite

import (
	"cmp"
	"slices"
	"time"

	"github.com/lambdahq/lambda"
)

// Reads of the journal's memory (job_journal.go), which FindJob, ListJobs,
// CountJobs and DueJobs merge with the rows.

// find returns a copy of job id, running if claimed; nil if not here.
func (m *journalJobs) find(id string) *lambda.Job {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.byID[id]
	if e == nil {
		return nil
	}
	return e.view(true)
}

// view is what a read returns of e: its row as read, running when
// claimed, with the payload and the response or without (listings).
func (e *journalJob) view(whole bool) *lambda.Job {
	args := e.args
	if !whole {
		args = slices.Clone(args)
		args[argPayload], args[argResponse] = nil, nil
	}
	j, err := scanJob(argsScanner(args))
	if err != nil {
		// Unreachable: the args came from jobArgs. Shown as what
		// memory holds rather than not at all.
		c := *e.job
		j = &c
	}
	j.Seq = e.seq
	if e.running {
		j.Status = lambda.StatusRunning
		if j.StartedAt == nil {
			j.StartedAt = e.job.StartedAt
		}
	}
	return j
}

// counts adds the memory's jobs to counts, per function and status.
func (m *journalJobs) counts(counts map[string]map[string]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.byID {
		status := e.job.Status
		if e.running {
			status = lambda.StatusRunning
		}
		f := e.job.Function
		if counts[f] == nil {
			counts[f] = map[string]int{}
		}
		counts[f][status]++
	}
}

// dueTimes sets in due each function's first NextRunAt among its waiting
// jobs in memory, when earlier than due's.
func (m *journalJobs) dueTimes(due map[string]time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for f, list := range m.waiting {
		if len(list) == 0 {
			continue
		}
		if t, ok := due[f]; !ok || list[0].job.NextRunAt.Before(t) {
			due[f] = list[0].job.NextRunAt
		}
	}
}

// list returns the memory's jobs f selects, without payload and response,
// newest first, at most limit.
func (m *journalJobs) list(f lambda.JobFilter, limit int) []*lambda.Job {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*lambda.Job
	for _, e := range m.byID {
		j := e.job
		status := j.Status
		if e.running {
			status = lambda.StatusRunning
		}
		switch {
		case f.Function != "" && j.Function != f.Function,
			f.Status != "" && status != f.Status,
			!f.Since.IsZero() && j.CreatedAt.Before(f.Since),
			!f.Before.IsZero() && !j.CreatedAt.Before(f.Before):
			continue
		}
		v := e.view(false)
		if f.After != nil && !f.After.Follows(v) {
			continue
		}
		out = append(out, v)
	}
	slices.SortFunc(out, newestFirst)
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// newestFirst is the listings' order.
func newestFirst(a, b *lambda.Job) int {
	if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(b.Seq, a.Seq)
}
