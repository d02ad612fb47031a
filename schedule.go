package lambda

import (
	"context"
	"encoding/json"
	"time"
)

// Overlap policies of a schedule.
const (
	OverlapSkip  = "skip"  // a tick is skipped while the previous run still runs
	OverlapAllow = "allow" // ticks run regardless
)

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
