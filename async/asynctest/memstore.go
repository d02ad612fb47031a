package asynctest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// MemStore is an in-memory lambda.JobStore with the contract of the real
// one: the suite (Run) holds both to it.
type MemStore struct {
	functions lambda.FunctionStore

	mu   sync.Mutex
	jobs []*memJob // creation order
	keys map[[2]string]memKey
	seq  int
}

type memJob struct {
	seq int
	job *lambda.Job
}

type memKey struct {
	jobID, hash string
	expires     time.Time
}

var _ lambda.JobStore = (*MemStore)(nil)

// NewMemStore returns an empty store whose jobs belong to the functions
// of functions.
func NewMemStore(functions lambda.FunctionStore) *MemStore {
	return &MemStore{functions: functions, keys: map[[2]string]memKey{}}
}

func jobNotFound(id string) error {
	return lambda.Errorf(lambda.ENOTFOUND, "invocation %q not found: it never existed, or it ended longer ago than the retention and was pruned", id)
}

func (m *MemStore) find(id string) *lambda.Job {
	for _, mj := range m.jobs {
		if mj.job.ID == id {
			return mj.job
		}
	}
	return nil
}

// CreateJob implements lambda.JobStore.
func (m *MemStore) CreateJob(ctx context.Context, n lambda.NewJob) (*lambda.Job, bool, error) {
	j := n.Job.Clone()
	if _, err := m.functions.FindFunction(ctx, j.Function); err != nil {
		return nil, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if j.NextRunAt.IsZero() {
		j.NextRunAt = j.CreatedAt
	}
	j.Status = lambda.StatusQueued
	if j.Sync {
		j.Status = lambda.StatusRunning
		t := j.CreatedAt
		j.StartedAt = &t
	}
	key := [2]string{j.Function, j.IdempotencyKey}
	if j.IdempotencyKey != "" {
		if k, ok := m.keys[key]; ok && j.CreatedAt.Before(k.expires) {
			if prior := m.find(k.jobID); prior != nil && !(prior.Sync && prior.Status == lambda.StatusFailed && prior.Version == 0) {
				if k.hash != j.PayloadHash {
					return nil, false, lambda.Errorf(lambda.EIDEMPOTENCY, "idempotency key %q was used for invocation %s with another payload or qualifier: use a new key for a new request", j.IdempotencyKey, prior.ID)
				}
				return prior.Clone(), false, nil
			}
		}
	}
	if j.Schedule != "" && (j.Overlap == lambda.OverlapSkip || j.Overlap == lambda.OverlapQueue) {
		for _, mj := range m.jobs {
			o := mj.job
			if o.Schedule != j.Schedule || !o.Pending() || (j.Overlap == lambda.OverlapQueue && o.Status == lambda.StatusRunning) {
				continue
			}
			return nil, false, lambda.Errorf(lambda.ECONFLICT, "schedule %q already has invocation %s %s", j.Schedule, o.ID, o.Status)
		}
	}
	if !j.Sync {
		maxQueued := n.MaxQueued
		if maxQueued <= 0 {
			maxQueued = lambda.DefaultMaxQueued
		}
		pending := 0
		for _, mj := range m.jobs {
			if mj.job.Function == j.Function && waiting(mj.job) {
				pending++
			}
		}
		if pending >= maxQueued {
			return nil, false, lambda.Errorf(lambda.ETHROTTLED, "function %q has %d invocations waiting, its limit: retry later", j.Function, pending)
		}
		if n.Start && pending == 0 && j.Schedule == "" {
			j.Status = lambda.StatusRunning
			t := j.CreatedAt
			j.StartedAt = &t
		}
	}
	if m.find(j.ID) != nil {
		return nil, false, lambda.Errorf(lambda.ECONFLICT, "invocation %q exists", j.ID)
	}
	m.seq++
	m.jobs = append(m.jobs, &memJob{seq: m.seq, job: j})
	if j.IdempotencyKey != "" {
		m.keys[key] = memKey{jobID: j.ID, hash: j.PayloadHash, expires: j.CreatedAt.Add(lambda.IdempotencyWindow)}
	}
	return j.Clone(), true, nil
}

func waiting(j *lambda.Job) bool {
	return j.Status == lambda.StatusQueued || j.Status == lambda.StatusRetrying
}

// ClaimJobs implements lambda.JobStore.
func (m *MemStore) ClaimJobs(_ context.Context, function string, now time.Time, limit int) ([]*lambda.Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var due []*memJob
	for _, mj := range m.jobs {
		if mj.job.Function == function && waiting(mj.job) && !mj.job.NextRunAt.After(now) {
			due = append(due, mj)
		}
	}
	slices.SortStableFunc(due, func(a, b *memJob) int {
		if c := a.job.NextRunAt.Compare(b.job.NextRunAt); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	var out []*lambda.Job
	for _, mj := range due {
		if len(out) >= limit {
			break
		}
		j := mj.job
		if j.Schedule != "" && (j.Overlap == lambda.OverlapSkip || j.Overlap == lambda.OverlapQueue) && m.scheduleRunning(j.Schedule) {
			continue
		}
		j.Status = lambda.StatusRunning
		if j.StartedAt == nil {
			t := now
			j.StartedAt = &t
		}
		out = append(out, j.Clone())
	}
	return out, nil
}

func (m *MemStore) scheduleRunning(schedule string) bool {
	for _, mj := range m.jobs {
		if mj.job.Schedule == schedule && mj.job.Status == lambda.StatusRunning {
			return true
		}
	}
	return false
}

// UpdateJob implements lambda.JobStore.
func (m *MemStore) UpdateJob(_ context.Context, j *lambda.Job) error {
	if !slices.Contains(lambda.InvocationStatuses, j.Status) {
		return lambda.Errorf(lambda.EINVALID, "status %q is not one of %v", j.Status, lambda.InvocationStatuses)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.find(j.ID)
	if old == nil {
		return jobNotFound(j.ID)
	}
	c := j.Clone()
	// The request stays as created.
	c.Function, c.Qualifier, c.Trigger, c.Sync, c.Payload = old.Function, old.Qualifier, old.Trigger, old.Sync, old.Payload
	c.Timeout, c.IdempotencyKey, c.PayloadHash, c.Schedule, c.Overlap, c.CreatedAt = old.Timeout, old.IdempotencyKey, old.PayloadHash, old.Schedule, old.Overlap, old.CreatedAt
	c.Depth = old.Depth
	if n := len(c.History) - lambda.MaxJobAttemptsKept; n > 0 {
		c.History = c.History[n:]
	}
	if len(c.Response) > lambda.MaxStoredResponseBytes {
		c.Response, c.ResponseTruncated = c.Response[:lambda.MaxStoredResponseBytes], true
	}
	*old = *c
	return nil
}

// FindJob implements lambda.JobStore.
func (m *MemStore) FindJob(_ context.Context, id string) (*lambda.Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j := m.find(id)
	if j == nil {
		return nil, jobNotFound(id)
	}
	return j.Clone(), nil
}

// ListJobs implements lambda.JobStore.
func (m *MemStore) ListJobs(_ context.Context, f lambda.JobFilter) ([]*lambda.Job, error) {
	if f.Status != "" && !slices.Contains(lambda.InvocationStatuses, f.Status) {
		return nil, lambda.Errorf(lambda.EINVALID, "status %q is not one of %v", f.Status, lambda.InvocationStatuses)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = lambda.DefaultJobListLimit
	}
	limit = min(limit, lambda.MaxJobListLimit)
	m.mu.Lock()
	defer m.mu.Unlock()
	sorted := slices.Clone(m.jobs)
	slices.SortStableFunc(sorted, func(a, b *memJob) int {
		if c := b.job.CreatedAt.Compare(a.job.CreatedAt); c != 0 {
			return c
		}
		return b.seq - a.seq
	})
	var out []*lambda.Job
	for _, mj := range sorted {
		j := mj.job.Clone()
		j.Seq = int64(mj.seq)
		switch {
		case f.Function != "" && j.Function != f.Function,
			f.Status != "" && j.Status != f.Status,
			!f.Since.IsZero() && j.CreatedAt.Before(f.Since),
			!f.Before.IsZero() && !j.CreatedAt.Before(f.Before),
			f.After != nil && !f.After.Follows(j):
			continue
		}
		c := j
		c.Payload, c.Response = nil, nil
		out = append(out, c)
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// DueJobs implements lambda.JobStore.
func (m *MemStore) DueJobs(context.Context) (map[string]time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]time.Time{}
	for _, mj := range m.jobs {
		j := mj.job
		if !waiting(j) {
			continue
		}
		if at, ok := out[j.Function]; !ok || j.NextRunAt.Before(at) {
			out[j.Function] = j.NextRunAt
		}
	}
	return out, nil
}

// CountJobs implements lambda.JobStore.
func (m *MemStore) CountJobs(context.Context) (map[string]map[string]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]map[string]int{}
	for _, mj := range m.jobs {
		j := mj.job
		if out[j.Function] == nil {
			out[j.Function] = map[string]int{}
		}
		out[j.Function][j.Status]++
	}
	return out, nil
}

// RequeueRunning implements lambda.JobStore.
func (m *MemStore) RequeueRunning(_ context.Context, now time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, mj := range m.jobs {
		j := mj.job
		switch {
		case j.Status != lambda.StatusRunning:
		case j.Sync:
			t := now
			j.Status, j.FinishedAt = lambda.StatusFailed, &t
			j.ErrorType, j.ErrorMessage = lambda.EINTERNAL, "the server stopped during the invocation"
		default:
			start := now
			if j.StartedAt != nil {
				start = *j.StartedAt
			}
			j.Interrupted(start)
			n++
		}
	}
	return n, nil
}

// RedriveJobs implements lambda.JobStore.
func (m *MemStore) RedriveJobs(_ context.Context, function string, ids []string, now time.Time, maxQueued int) ([]*lambda.Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var picked []*lambda.Job
	if len(ids) == 0 {
		for _, mj := range m.jobs {
			if mj.job.Function == function && mj.job.Status == lambda.StatusDead {
				picked = append(picked, mj.job)
			}
		}
	}
	for _, id := range ids {
		j := m.find(id)
		switch {
		case j == nil || j.Function != function:
			return nil, lambda.Errorf(lambda.ENOTFOUND, "function %q has no invocation %q", function, id)
		case j.Status != lambda.StatusDead:
			return nil, lambda.Errorf(lambda.ECONFLICT, "invocation %q is %s, not dead: only dead invocations can be redriven", id, j.Status)
		}
		if !slices.Contains(picked, j) {
			picked = append(picked, j)
		}
	}
	if maxQueued <= 0 {
		maxQueued = lambda.DefaultMaxQueued
	}
	pending := 0
	for _, mj := range m.jobs {
		if mj.job.Function == function && waiting(mj.job) {
			pending++
		}
	}
	if len(picked) > 0 && pending+len(picked) > maxQueued {
		return nil, lambda.Throttled(lambda.ThrottleAsyncQueueFull, fmt.Sprintf("redriving %d invocations would leave function %q over its limit of %d queued", len(picked), function, maxQueued))
	}
	var out []*lambda.Job
	for _, j := range picked {
		j.Status, j.Attempts, j.CreatedAt, j.NextRunAt, j.FinishedAt = lambda.StatusQueued, 0, now, now, nil
		out = append(out, j.Clone())
	}
	return out, nil
}

// PruneJobs implements lambda.JobStore.
func (m *MemStore) PruneJobs(_ context.Context, before, now time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.jobs)
	m.jobs = slices.DeleteFunc(m.jobs, func(mj *memJob) bool {
		j := mj.job
		return !j.Pending() && j.FinishedAt != nil && j.FinishedAt.Before(before)
	})
	for k, v := range m.keys {
		if !now.Before(v.expires) || m.find(v.jobID) == nil {
			delete(m.keys, k)
		}
	}
	return n - len(m.jobs), nil
}
