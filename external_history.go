package lambda

import (
	"cmp"
	"context"
	"slices"
	"sync"
)

// ExternalHistory is an InvocationHistory that keeps the records of
// external functions (served by containers found by their labels) in
// memory, the newest MaxInvocationsKept of each, and hands the others to
// Store. The store keeps records only of functions it holds, and an
// external function is not one of them: it is never deployed, and its
// records last as long as the server runs.
type ExternalHistory struct {
	Store InvocationHistory
	// IsExternal reports whether name is an external function now (no
	// deployed function has its name).
	IsExternal func(name string) bool

	mu      sync.Mutex
	seq     int64
	records map[string][]*Job // by function, oldest first
}

var _ InvocationHistory = (*ExternalHistory)(nil)

// NewExternalHistory returns an ExternalHistory over store.
func NewExternalHistory(store InvocationHistory, isExternal func(string) bool) *ExternalHistory {
	return &ExternalHistory{Store: store, IsExternal: isExternal, records: map[string][]*Job{}}
}

// SaveInvocations implements InvocationHistory.
func (h *ExternalHistory) SaveInvocations(ctx context.Context, recs []*Invocation) error {
	external := map[string]bool{}
	for _, r := range recs {
		ext, seen := external[r.Function]
		if !seen {
			ext = h.IsExternal(r.Function)
			external[r.Function] = ext
		}
		if ext {
			h.keep(r)
		}
	}
	deployed := slices.DeleteFunc(slices.Clone(recs), func(r *Invocation) bool { return external[r.Function] })
	if len(deployed) == 0 {
		return nil
	}
	return h.Store.SaveInvocations(ctx, deployed)
}

func (h *ExternalHistory) keep(r *Invocation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	j := InvocationJob(r)
	j.Seq = h.seq
	list := append(h.records[r.Function], j)
	if len(list) > MaxInvocationsKept {
		list = slices.Delete(list, 0, len(list)-MaxInvocationsKept)
	}
	h.records[r.Function] = list
}

// ListInvocations implements InvocationHistory.
func (h *ExternalHistory) ListInvocations(ctx context.Context, f JobFilter) ([]*Job, error) {
	if f.Function != "" && !h.IsExternal(f.Function) {
		return h.Store.ListInvocations(ctx, f)
	}
	var list []*Job
	if f.Function == "" {
		stored, err := h.Store.ListInvocations(ctx, f)
		if err != nil {
			return nil, err
		}
		list = stored
	}
	if !SyncStatus(f.Status) {
		return list, nil
	}
	h.mu.Lock()
	for name, recs := range h.records {
		if f.Function != "" && name != f.Function {
			continue
		}
		for _, j := range recs {
			switch {
			case f.Status != "" && j.Status != f.Status,
				!f.Since.IsZero() && j.CreatedAt.Before(f.Since),
				!f.Before.IsZero() && !j.CreatedAt.Before(f.Before),
				f.After != nil && !f.After.Follows(j):
				continue
			}
			c := *j // the caller may change what it gets
			list = append(list, &c)
		}
	}
	h.mu.Unlock()
	slices.SortFunc(list, func(a, b *Job) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.Seq, a.Seq)
	})
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultJobListLimit
	}
	return list[:min(len(list), limit, MaxJobListLimit)], nil
}

// FindInvocation implements InvocationHistory.
func (h *ExternalHistory) FindInvocation(ctx context.Context, id string) (*Job, error) {
	j, err := h.Store.FindInvocation(ctx, id)
	if ErrorCode(err) != ENOTFOUND {
		return j, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, recs := range h.records {
		for _, j := range recs {
			if j.ID == id {
				c := *j
				return &c, nil
			}
		}
	}
	return nil, err
}
