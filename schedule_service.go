package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// ScheduleSpec is a schedule as a user asks for it: from the schedule API
// or a deploy's manifest.
type ScheduleSpec struct {
	Function string
	Cron     string
	Timezone string          // "" is DefaultTimezone
	Data     json.RawMessage // the payload of each tick; none is {}
	Overlap  string          // "" is OverlapSkip
}

// AppliedSchedule is one schedule a deploy asked for, as it now is:
// Existed when an identical schedule was already there and was kept.
type AppliedSchedule struct {
	*Schedule
	Existed bool `json:"existed"`
}

// ScheduleService owns the rules of schedules (cron expression, time zone,
// overlap, data, duplicates, the per-function limit); HTTP handlers and
// the deploy call it, never the ScheduleStore directly for writes.
type ScheduleService interface {
	// Check validates specs as one set for function, without the store:
	// each one and duplicates among them. A deploy calls it before
	// building, so that a bad schedule fails the deploy before anything
	// is created.
	Check(function string, specs []ScheduleSpec) error
	// Create stores one schedule unless it duplicates one of its
	// function's (ECONFLICT) or exceeds their limit.
	Create(ctx context.Context, spec ScheduleSpec) (*Schedule, error)
	// Apply makes every spec a schedule of function: one identical to an
	// existing schedule (overlap included) is kept, the others are
	// created. All or none: on an error no schedule of specs was created.
	// Schedules of function that specs do not list are left alone (they
	// may have been added with "lambda schedule").
	Apply(ctx context.Context, function string, specs []ScheduleSpec) ([]AppliedSchedule, error)
	// ApplyAll is Apply for several functions at once (a project deploy):
	// all or none across them. The result is in sets' order.
	ApplyAll(ctx context.Context, sets []ScheduleSet) ([][]AppliedSchedule, error)
}

// ScheduleSet is the schedules a deploy declares for one function.
type ScheduleSet struct {
	Function string
	Specs    []ScheduleSpec
}

// ScheduleBatchStore is a ScheduleStore that creates several schedules in
// one transaction: all of them, or none.
type ScheduleBatchStore interface {
	CreateSchedules(ctx context.Context, list []*Schedule) error
}

// ScheduleManager implements ScheduleService over a ScheduleStore.
type ScheduleManager struct {
	Store  ScheduleStore
	Parser CronParser
	// Now is the clock of first runs; nil is time.Now.
	Now func() time.Time
	// mu makes each check and its inserts one step for this server.
	mu sync.Mutex
}

// NewScheduleManager returns a ScheduleManager over store and parser.
func NewScheduleManager(store ScheduleStore, parser CronParser) *ScheduleManager {
	return &ScheduleManager{Store: store, Parser: parser}
}

// Validate checks spec and returns the schedule it describes, with its
// first run computed and defaults filled in; it has no ID yet.
func (m *ScheduleManager) Validate(spec ScheduleSpec) (*Schedule, error) {
	if err := ValidateName(spec.Function); err != nil {
		return nil, err
	}
	switch spec.Overlap {
	case "":
		spec.Overlap = OverlapSkip
	case OverlapSkip, OverlapQueue, OverlapAllow:
	default:
		return nil, Errorf(EINVALID, "overlap %q is invalid: use %q (no tick while one is pending), %q (at most one waits for the running one) or %q", spec.Overlap, OverlapSkip, OverlapQueue, OverlapAllow)
	}
	if len(spec.Data) > 0 && !json.Valid(spec.Data) {
		return nil, Errorf(EINVALID, "schedule data is not valid JSON")
	}
	if len(spec.Data) > MaxAsyncPayloadBytes { // each tick is an asynchronous invocation
		return nil, Errorf(ETOOLARGE, "schedule data is %s, over the %d MB limit of an asynchronous invocation's payload: pass a reference to the data (a URL or a key) instead", FormatBytes(int64(len(spec.Data))), MaxAsyncPayloadBytes>>20)
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	t := now().UTC()
	next, err := m.Parser.Next(spec.Cron, spec.Timezone, t)
	if err != nil {
		return nil, err
	}
	return &Schedule{
		Function:  spec.Function,
		Cron:      spec.Cron,
		Timezone:  NormalizeTimezone(spec.Timezone),
		Data:      spec.Data,
		Overlap:   spec.Overlap,
		NextRunAt: next,
		CreatedAt: t,
	}, nil
}

// Check implements ScheduleService.
func (m *ScheduleManager) Check(function string, specs []ScheduleSpec) error {
	_, err := m.validateSet(function, specs)
	return err
}

// validateSet validates specs of function, each named schedules[i] in an
// error, and refuses duplicates among them and more than the limit.
func (m *ScheduleManager) validateSet(function string, specs []ScheduleSpec) ([]*Schedule, error) {
	var out, seen []*Schedule
	for i, spec := range specs {
		spec.Function = function
		sch, err := m.Validate(spec)
		if err == nil {
			err = CheckNewSchedule(seen, sch)
		}
		if err != nil {
			return nil, Errorf(ErrorCode(err), "schedules[%d]: %s", i, ErrorMessage(err))
		}
		out = append(out, sch)
		// A duplicate is named by its place in the set: none has an ID yet.
		named := *sch
		named.ID = fmt.Sprintf("schedules[%d]", i)
		seen = append(seen, &named)
	}
	return out, nil
}

// Create implements ScheduleService.
func (m *ScheduleManager) Create(ctx context.Context, spec ScheduleSpec) (*Schedule, error) {
	sch, err := m.Validate(spec)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	existing, err := m.Store.ListSchedules(ctx, sch.Function)
	if err != nil {
		return nil, err
	}
	if err := CheckNewSchedule(existing, sch); err != nil {
		return nil, err
	}
	if err := m.Store.CreateSchedule(ctx, sch); err != nil {
		return nil, err
	}
	return sch, nil
}

// Apply implements ScheduleService.
func (m *ScheduleManager) Apply(ctx context.Context, function string, specs []ScheduleSpec) ([]AppliedSchedule, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	out, err := m.ApplyAll(ctx, []ScheduleSet{{Function: function, Specs: specs}})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// ApplyAll implements ScheduleService. Everything is checked before the
// first insert; the inserts are one transaction when the store can
// (ScheduleBatchStore), else an insert that fails removes those made
// before it.
func (m *ScheduleManager) ApplyAll(ctx context.Context, sets []ScheduleSet) ([][]AppliedSchedule, error) {
	wants := make([][]*Schedule, len(sets))
	for i, set := range sets {
		want, err := m.validateSet(set.Function, set.Specs)
		if err != nil {
			if len(sets) > 1 {
				return nil, Errorf(ErrorCode(err), "function %q: %s", set.Function, ErrorMessage(err))
			}
			return nil, err
		}
		wants[i] = want
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([][]AppliedSchedule, len(sets))
	var create []*Schedule
	for i, set := range sets {
		if len(wants[i]) == 0 {
			continue
		}
		existing, err := m.Store.ListSchedules(ctx, set.Function)
		if err != nil {
			return nil, fmt.Errorf("list the schedules of %q: %w", set.Function, err)
		}
		out[i] = make([]AppliedSchedule, len(wants[i]))
		kept := existing
		for j, sch := range wants[i] {
			if e := findIdentical(existing, sch); e != nil {
				out[i][j] = AppliedSchedule{Schedule: e, Existed: true}
				continue
			}
			if err := CheckNewSchedule(kept, sch); err != nil {
				if len(sets) > 1 {
					return nil, Errorf(ErrorCode(err), "function %q: schedules[%d]: %s", set.Function, j, ErrorMessage(err))
				}
				return nil, Errorf(ErrorCode(err), "schedules[%d]: %s", j, ErrorMessage(err))
			}
			kept = append(kept, sch)
			create = append(create, sch)
			out[i][j] = AppliedSchedule{Schedule: sch}
		}
	}
	if len(create) == 0 {
		return out, nil
	}
	if b, ok := m.Store.(ScheduleBatchStore); ok {
		if err := b.CreateSchedules(ctx, create); err != nil {
			return nil, fmt.Errorf("create %d schedules: %w", len(create), err)
		}
		return out, nil
	}
	for i, sch := range create {
		if err := m.Store.CreateSchedule(ctx, sch); err != nil {
			m.undo(create[:i])
			return nil, fmt.Errorf("create schedule %q of %q: %w", sch.Cron, sch.Function, err)
		}
	}
	return out, nil
}

// undo deletes the schedules an Apply created before it failed, on a
// context of its own: the failure may be the request's end.
func (m *ScheduleManager) undo(created []*Schedule) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, sch := range created {
		// A failed delete leaves a valid schedule of a live function,
		// which "lambda schedule list" shows.
		_ = m.Store.DeleteSchedule(ctx, sch.ID)
	}
}

// findIdentical returns the schedule of list that sch would duplicate
// with the same overlap policy, or nil.
func findIdentical(list []*Schedule, sch *Schedule) *Schedule {
	for _, e := range list {
		if e.Duplicates(sch) && orDefault(e.Overlap, OverlapSkip) == orDefault(sch.Overlap, OverlapSkip) {
			return e
		}
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
