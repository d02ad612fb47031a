package lambda

import (
	"context"
	"strings"
	"time"
)

// StatsWindow is a span of history the stats API answers for, cut into
// buckets of Step: few enough points for a chart or a terminal line, fine
// enough to see a spike.
type StatsWindow struct {
	Name string        // as the API and the CLI spell it: 1h, 24h, 7d
	Span time.Duration // how far back the window reaches
	Step time.Duration // the width of one bucket
}

// Buckets is how many buckets the window has.
func (w StatsWindow) Buckets() int { return int(w.Span / w.Step) }

// StatsWindows are the windows there are: an hour by minute (60 buckets),
// a day by half hour (48) and a week by three hours (56, eight a day).
// Each step divides a day, so buckets start at the same UTC times every day.
var StatsWindows = []StatsWindow{
	{Name: "1h", Span: time.Hour, Step: time.Minute},
	{Name: "24h", Span: 24 * time.Hour, Step: 30 * time.Minute},
	{Name: "7d", Span: 7 * 24 * time.Hour, Step: 3 * time.Hour},
}

// DefaultStatsWindow is the window of a request that names none.
const DefaultStatsWindow = "1h"

// StatsRetention is how long the per-minute history is kept: the longest
// window.
const StatsRetention = 7 * 24 * time.Hour

// ParseStatsWindow returns the window named s ("" is DefaultStatsWindow).
func ParseStatsWindow(s string) (StatsWindow, error) {
	if s == "" {
		s = DefaultStatsWindow
	}
	names := make([]string, len(StatsWindows))
	for i, w := range StatsWindows {
		if w.Name == s {
			return w, nil
		}
		names[i] = w.Name
	}
	return StatsWindow{}, Errorf(EINVALID, "window %q is not one the server keeps: use %s", s, strings.Join(names, ", "))
}

// StatsCounts count a function's invocations over some time.
type StatsCounts struct {
	// Invocations are every finished invocation, throttled and refused
	// ones included, as lambda_invocations_total counts them.
	Invocations int64 `json:"invocations"`
	// Errors are invocations the function or the platform failed: the
	// function's errors, crashes and timeouts, and platform errors; not
	// throttles, refusals of the caller or callers gone away.
	Errors     int64 `json:"errors"`
	Throttles  int64 `json:"throttles"`
	ColdStarts int64 `json:"cold_starts"`
}

// Add counts o in c.
func (c *StatsCounts) Add(o StatsCounts) {
	c.Invocations += o.Invocations
	c.Errors += o.Errors
	c.Throttles += o.Throttles
	c.ColdStarts += o.ColdStarts
}

// Count counts inv in c. Its duration goes to the latency histogram only
// when Timed says so.
func (c *StatsCounts) Count(inv *Invocation) {
	c.Invocations++
	switch {
	case inv.ErrorType == ETHROTTLED:
		c.Throttles++
	case inv.Status != StatusSucceeded && !callerError(inv.ErrorType):
		c.Errors++
	}
	if inv.Cold {
		c.ColdStarts++
	}
}

// callerError reports error types that say the caller was refused or went
// away: no fault of the function's nor the platform's.
func callerError(t string) bool {
	switch t {
	case EUNAUTHORIZED, EFORBIDDEN, EINVALID, ETOOLARGE, ECLIENTTIMEOUT, ENOTFOUND, "canceled":
		return true
	}
	return false
}

// Timed reports whether inv's duration says something of the function's
// latency: an instance served it (a throttled or refused invocation has no
// version and took no time of the function's).
func Timed(inv *Invocation) bool { return inv.Version != 0 }

// StatsMinute is what one function's invocations that ended in one minute
// add up to: the unit the history is stored in. The latency is kept as a
// histogram, not percentiles, so that minutes merge exactly into coarser
// buckets.
type StatsMinute struct {
	Function string
	Minute   time.Time // its start, UTC
	StatsCounts
	Latency LatencyHistogram
}

// StatsBucket is one interval of a window.
type StatsBucket struct {
	Start time.Time `json:"start"`
	StatsCounts
	// Timed counts the invocations the percentiles are of (those an
	// instance served); the percentiles are 0 when it is.
	Timed int64   `json:"timed"`
	P50Ms float64 `json:"p50_ms"`
	P95Ms float64 `json:"p95_ms"`
	P99Ms float64 `json:"p99_ms"`
}

// SetLatency sets b's percentiles from h.
func (b *StatsBucket) SetLatency(h *LatencyHistogram) {
	b.Timed = int64(h.Count())
	b.P50Ms = ms(h.Quantile(0.50))
	b.P95Ms = ms(h.Quantile(0.95))
	b.P99Ms = ms(h.Quantile(0.99))
}

// ms is d in milliseconds to the microsecond.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// FunctionStats is a function's history over a window: the body of
// GET /v1/functions/{name}/stats.
type FunctionStats struct {
	Function string `json:"function"`
	Window   string `json:"window"`
	// StepSeconds is each bucket's width.
	StepSeconds int64 `json:"step_seconds"`
	// Start and End bound the window; the last bucket holds the current,
	// unfinished interval.
	Start   time.Time     `json:"start"`
	End     time.Time     `json:"end"`
	Buckets []StatsBucket `json:"buckets"`
	// Total is the whole window as one bucket (Start is the window's).
	Total StatsBucket `json:"total"`
}

// StatsService answers for the history of functions' invocations.
type StatsService interface {
	// FunctionStats returns function's buckets over w, the current
	// interval included. ENOTFOUND if the function does not exist.
	FunctionStats(ctx context.Context, function string, w StatsWindow) (*FunctionStats, error)
}

// StatsStore keeps the per-minute history.
type StatsStore interface {
	// SaveStats adds minutes to the stored history, merging a minute with
	// the one of its function already stored, and deletes the minutes
	// before pruneBefore, in one transaction. Minutes of a function that
	// does not exist (deleted meanwhile) are dropped; a function's
	// deletion deletes its history. It keeps no minute after it returns:
	// the caller reuses them.
	SaveStats(ctx context.Context, minutes []*StatsMinute, pruneBefore time.Time) error
	// ListStats returns function's minutes starting in [from, to), oldest
	// first.
	ListStats(ctx context.Context, function string, from, to time.Time) ([]*StatsMinute, error)
}
