package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// Overlap policies of a schedule.
const (
	OverlapSkip  = "skip"  // a tick is skipped while the previous tick's job is pending (queued, running or retrying)
	OverlapAllow = "allow" // ticks run regardless
	OverlapQueue = "queue" // at most one tick waits for the running one; more are skipped
)

// OverlapPolicies lists the overlap policies, the default first.
var OverlapPolicies = []string{OverlapSkip, OverlapQueue, OverlapAllow}

// Schedule invokes a function on a cron expression.
type Schedule struct {
	ID        string          `json:"id"`
	Function  string          `json:"function"`
	Cron      string          `json:"cron"`
	Timezone  string          `json:"timezone"`
	Data      json.RawMessage `json:"data,omitempty"`
	Overlap   string          `json:"overlap"`
	NextRunAt time.Time       `json:"next_run_at"`
	LastRunAt *time.Time      `json:"last_run_at,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

// ScheduleStore persists schedules. Deleting a function deletes its schedules.
type ScheduleStore interface {
	// CreateSchedule stores s; ENOTFOUND if its function does not exist.
	CreateSchedule(ctx context.Context, s *Schedule) error
	FindSchedule(ctx context.Context, id string) (*Schedule, error)
	// ListSchedules lists the schedules of function, or all when function is "".
	ListSchedules(ctx context.Context, function string) ([]*Schedule, error)
	DeleteSchedule(ctx context.Context, id string) error
	// MarkScheduleRun records that s ran at ranAt and next runs at next.
	MarkScheduleRun(ctx context.Context, id string, ranAt, next time.Time) error
}

// CronParser turns a cron expression into a schedule of times.
type CronParser interface {
	// Next returns the first activation strictly after t, in the
	// expression's time zone (tz "" is UTC).
	Next(expr, tz string, t time.Time) (time.Time, error)
}

// Schedule limits and defaults.
const (
	// MaxSchedulesPerFunction bounds a function's schedules: more are a
	// runaway script rather than a plan.
	MaxSchedulesPerFunction = 20
	// DefaultTimezone is the zone of a schedule created without one; it is
	// stored and shown, never left empty.
	DefaultTimezone = "UTC"
)

// NormalizeTimezone returns tz, or DefaultTimezone for "".
func NormalizeTimezone(tz string) string {
	if tz == "" {
		return DefaultTimezone
	}
	return tz
}

// Duplicates reports whether s invokes its function exactly as o does:
// same function, cron expression (fields compared without regard to case
// or spacing), time zone and data (compared as JSON values; none is {}).
// The overlap policy is not compared: the two would still fire together.
func (s *Schedule) Duplicates(o *Schedule) bool {
	return s.Function == o.Function &&
		strings.ToLower(strings.Join(strings.Fields(s.Cron), " ")) == strings.ToLower(strings.Join(strings.Fields(o.Cron), " ")) &&
		NormalizeTimezone(s.Timezone) == NormalizeTimezone(o.Timezone) &&
		SameJSON(s.Data, o.Data)
}

// CheckNewSchedule reports whether s may join existing, the schedules of
// its function: ECONFLICT naming the schedule s duplicates, EINVALID past
// MaxSchedulesPerFunction.
func CheckNewSchedule(existing []*Schedule, s *Schedule) error {
	for _, e := range existing {
		if e.Duplicates(s) {
			return Errorf(ECONFLICT, "function %q already has this schedule (id %s, cron %q, time zone %s, same data)", s.Function, e.ID, e.Cron, NormalizeTimezone(e.Timezone))
		}
	}
	if len(existing) >= MaxSchedulesPerFunction {
		return Errorf(EINVALID, "function %q has %d schedules: the limit is %d; delete one with \"lambda schedule delete ID\"", s.Function, len(existing), MaxSchedulesPerFunction)
	}
	return nil
}

// SameJSON compares two payloads by value; an empty one is the {} each
// invocation then receives. Invalid JSON equals only the same bytes.
func SameJSON(a, b json.RawMessage) bool {
	var va, vb any
	if json.Unmarshal(orEmptyObject(a), &va) != nil || json.Unmarshal(orEmptyObject(b), &vb) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(va, vb)
}

func orEmptyObject(b json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(b)) == 0 {
		return json.RawMessage("{}")
	}
	return b
}
