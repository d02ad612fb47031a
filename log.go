package lambda

import (
	"context"
	"time"
)

// Streams of a function's output.
const (
	StreamStdout = "stdout"
	StreamStderr = "stderr"
	// StreamPlatform holds the lines the platform writes around each
	// invocation, as Lambda does: START, END and REPORT (log_report.go).
	StreamPlatform = "platform"
)

// Limits of the log store, as issue 11 sets them.
const (
	// MaxLogLine bounds one line: longer ones are cut and marked Truncated,
	// so that a function printing without newlines cannot make the server
	// hold an unbounded line in memory.
	MaxLogLine = 256 << 10
	// MaxInvocationLog bounds what one invocation's lines may take (as
	// Fn); past it they are dropped, with one line saying so.
	MaxInvocationLog = 1 << 20
	// DefaultLogMaxBytes and DefaultLogRetention bound each function's
	// logs; the oldest go first.
	DefaultLogMaxBytes  = 50 << 20
	DefaultLogRetention = 7 * 24 * time.Hour
)

// LogLine is one line a function instance printed.
type LogLine struct {
	Time     time.Time `json:"time"`
	Function string    `json:"function"`
	Version  int       `json:"version"`
	Instance string    `json:"instance"`
	Stream   string    `json:"stream"` // StreamStdout, StreamStderr or StreamPlatform
	// Invocation is the ID of the invocation the line was printed for,
	// when the platform knows it.
	Invocation string `json:"invocation,omitempty"`
	// Trace is the W3C trace ID of that invocation (Invocation.TraceID),
	// when the platform knows it.
	TraceID string `json:"trace_id,omitempty"`
	Message string `json:"message"`
	// Truncated marks a line cut at MaxLogLine.
	Truncated bool `json:"truncated,omitempty"`
	// Dropped, on a line the platform writes itself, counts lines lost
	// because a reader or the store could not keep up.
	Dropped int64 `json:"dropped,omitempty"`
}

// LogFilter selects a function's lines. Zero fields match everything.
type LogFilter struct {
	Function   string
	Since      time.Time // lines at or after
	Until      time.Time // lines strictly before (zero: no bound)
	Tail       int       // only the last Tail lines of the history (0: all)
	Invocation string
	Version    int // 0: every version
	Instance   string
	// OutputOnly leaves out the platform's lines (StreamPlatform): what
	// the instances printed alone.
	OutputOnly bool
}

// Match reports whether l passes f (Tail aside).
func (f LogFilter) Match(l *LogLine) bool {
	switch {
	case f.Function != "" && l.Function != f.Function:
		return false
	case !f.Since.IsZero() && l.Time.Before(f.Since):
		return false
	case !f.Until.IsZero() && !l.Time.Before(f.Until):
		return false
	case f.OutputOnly && l.Stream == StreamPlatform:
		return false
	case f.Invocation != "" && l.Invocation != f.Invocation:
		return false
	case f.Version != 0 && l.Version != f.Version:
		return false
	case f.Instance != "" && l.Instance != f.Instance && !hasPrefix(l.Instance, f.Instance):
		return false
	}
	return true
}

// hasPrefix lets a short container ID (12 characters, as docker ps shows
// it) name an instance.
func hasPrefix(id, prefix string) bool {
	return len(prefix) >= 12 && len(id) >= len(prefix) && id[:len(prefix)] == prefix
}

// LogStore keeps the output of function instances, bounded per function.
type LogStore interface {
	// Append stores lines (each of one function) in order. Lines over
	// MaxLogLine are cut and marked.
	Append(ctx context.Context, lines []LogLine) error
	// Query returns the stored lines passing f, oldest first.
	Query(ctx context.Context, f LogFilter) ([]LogLine, error)
	// Follow sends what Query would return, then every line appended
	// later that passes f, until ctx ends; then it closes the channel. A
	// reader that falls behind loses lines: it then receives a line with
	// Dropped set instead of blocking writers.
	Follow(ctx context.Context, f LogFilter) (<-chan LogLine, error)
	// DeleteFunction removes a function's logs.
	DeleteFunction(ctx context.Context, function string) error
}

// LogSink receives the output the engine collects from instances.
type LogSink interface {
	Append(ctx context.Context, lines []LogLine) error
}

// Frames of the shims' output (aws, handler and stdio protocols; see
// docs/runtime-contract.md). The shim starts every line the function
// prints with LogFrameStart, the invocation ID (empty between
// invocations) and LogFrameEnd. It frames every line it copies, so a
// function that prints a frame of its own gets the shim's in front of it:
// only the first frame counts, and a function cannot put its lines in
// another invocation. Lines without a frame are the shim's own.
const (
	LogFrameStart = "\x1e"
	LogFrameEnd   = "\x1f"
)

// Unframe splits a line of a shim's output into the invocation ID its
// frame names and the function's text; ok is false for an unframed line.
func Unframe(line string) (invocation, text string, ok bool) {
	if len(line) == 0 || line[0] != LogFrameStart[0] {
		return "", line, false
	}
	for i := 1; i < len(line) && i <= 129; i++ {
		if line[i] == LogFrameEnd[0] {
			return line[1:i], line[i+1:], true
		}
	}
	return "", line, false
}

type invocationIDKey struct{}

// WithInvocationID tells the router which invocation a lease is taken
// for, so that the output of an instance serving one request at a time
// can be attributed to it.
func WithInvocationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, invocationIDKey{}, id)
}

// InvocationIDFrom returns the ID WithInvocationID (or WithInvocation)
// put in ctx, or "".
func InvocationIDFrom(ctx context.Context) string {
	switch v := ctx.Value(invocationIDKey{}).(type) {
	case string:
		return v
	case *Invocation:
		return v.ID
	}
	return ""
}
