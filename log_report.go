package lambda

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The platform's own lines around each invocation, in Lambda's format
// (tabs between the REPORT line's fields, and after the last one), so that
// tools that read Lambda's logs read these:
//
//	START RequestId: ID Version: N
//	END RequestId: ID
//	REPORT RequestId: ID	Duration: 12.34 ms	Billed Duration: 13 ms	Memory Size: 256 MB	Max Memory Used: 31 MB	Init Duration: 480.25 ms
//
// Max Memory Used is left out when the platform does not know it (http
// functions run without the shim that reads it); Init Duration is there
// on a cold start only; "Status: timeout" ends a timed-out one's, and
// "Status: error	Error Type: Runtime.ExitError" one whose runtime died
// (a crash), Runtime.OutOfMemory when it was killed at its memory limit. Those two also get a line before END (FailureLine).
const (
	startPrefix  = "START RequestId: "
	endPrefix    = "END RequestId: "
	reportPrefix = "REPORT RequestId: "
)

// HasPlatformLines reports whether inv gets START, END and REPORT lines:
// an instance took it. A throttled call, or one refused before an instance
// was leased, ran nothing, and Lambda logs nothing for it either.
func HasPlatformLines(inv *Invocation) bool {
	return inv.Version > 0
}

// StartLine is the line the platform writes as inv starts.
func StartLine(inv *Invocation) string {
	return startPrefix + inv.ID + " Version: " + strconv.Itoa(inv.Version)
}

// EndLine is the line the platform writes as inv ends.
func EndLine(inv *Invocation) string {
	return endPrefix + inv.ID
}

// ReportLine sums up inv as Lambda's REPORT line does. Duration is the
// function's run: the invocation's time less its cold start's (Init
// Duration), billed by the millisecond started.
func ReportLine(inv *Invocation) string {
	return string(appendReportLine(make([]byte, 0, 160), inv))
}

func appendReportLine(b []byte, inv *Invocation) []byte {
	run := ReportDuration(inv)
	mem := inv.MemoryMB
	if mem <= 0 {
		mem = DefaultMemoryBytes >> 20
	}
	b = append(b, reportPrefix...)
	b = append(b, inv.ID...)
	b = append(b, "\tDuration: "...)
	b = appendMillis(b, run)
	b = append(b, " ms\tBilled Duration: "...)
	b = strconv.AppendInt(b, billedMillis(run), 10)
	b = append(b, " ms\tMemory Size: "...)
	b = strconv.AppendInt(b, int64(mem), 10)
	b = append(b, " MB\t"...)
	if inv.MaxMemoryUsedMB > 0 {
		b = append(b, "Max Memory Used: "...)
		b = strconv.AppendInt(b, int64(inv.MaxMemoryUsedMB), 10)
		b = append(b, " MB\t"...)
	}
	if inv.Cold && inv.InitDuration > 0 {
		b = append(b, "Init Duration: "...)
		b = appendMillis(b, inv.InitDuration)
		b = append(b, " ms\t"...)
	}
	switch {
	case inv.ErrorType == ETIMEOUT:
		// Lambda's field for a timeout, which log readers count them by.
		b = append(b, "Status: timeout\t"...)
	case inv.RuntimeExit != "" || inv.ErrorType == EOUTOFMEMORY:
		b = append(b, "Status: error\tError Type: "...)
		b = append(b, crashErrorType(inv)...)
		b = append(b, '\t')
	}
	return b
}

// ReportDuration is the REPORT line's Duration of inv: never past its
// timeout, and the timeout itself for a timed-out one, as on Lambda (the
// invoker waits a moment past the deadline for the shim's answer, which
// the function is not billed for).
func ReportDuration(inv *Invocation) time.Duration {
	d := inv.Duration
	if inv.Cold {
		d -= inv.InitDuration
	}
	if inv.Timeout > 0 {
		if inv.ErrorType == ETIMEOUT {
			return inv.Timeout
		}
		d = min(d, inv.Timeout)
	}
	return max(d, 0)
}

func appendMillis(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 2, 64)
}

// billedMillis rounds d up to the millisecond, at least 1, as Lambda bills.
func billedMillis(d time.Duration) int64 {
	return max(int64(math.Ceil(float64(d)/float64(time.Millisecond))), 1)
}

// PlatformLines returns inv's START, END and REPORT lines, for the log
// store: START at the invocation's start, END and REPORT at its end, so
// that ordered by time (SortLogLines) they frame what the function printed.
func PlatformLines(inv *Invocation) [3]LogLine {
	end := inv.Start.Add(inv.Duration)
	l := LogLine{Function: inv.Function, Version: inv.Version, Instance: inv.Instance, Stream: StreamPlatform, Invocation: inv.ID, TraceID: inv.TraceID}
	start, stop, report := l, l, l
	start.Time, start.Message = inv.Start, StartLine(inv)
	stop.Time, stop.Message = end, EndLine(inv)
	report.Time, report.Message = end, ReportLine(inv)
	return [3]LogLine{start, stop, report}
}

// LogTailWithReport is what X-Amz-Log-Result (and X-Lambda-Log-Result)
// carries for inv, as on Lambda: START, the end of the function's output,
// END and REPORT, all within the last MaxLogTailBytes. The function's
// output is cut first; START goes when even that is not enough.
func LogTailWithReport(inv *Invocation, output []byte) []byte {
	head := StartLine(inv) + "\n"
	foot := EndLine(inv) + "\n" + ReportLine(inv) + "\n"
	if l, ok := FailureLine(inv); ok {
		foot = l + "\n" + foot
	}
	if len(output) > 0 && output[len(output)-1] != '\n' {
		foot = "\n" + foot
	}
	room := MaxLogTailBytes - len(head) - len(foot)
	if room < 0 {
		head, room = "", MaxLogTailBytes-len(foot)
	}
	if len(output) > room {
		output = output[len(output)-max(room, 0):]
	}
	out := make([]byte, 0, len(head)+len(output)+len(foot))
	out = append(out, head...)
	out = append(out, output...)
	out = append(out, foot...)
	return out
}

// phase places a platform line within its invocation: START first, then
// the function's lines, then the failure line (FailureLine), END and
// REPORT.
func (l *LogLine) phase() int {
	if l.Stream != StreamPlatform {
		return 1
	}
	switch {
	case strings.HasPrefix(l.Message, startPrefix):
		return 0
	case strings.HasPrefix(l.Message, endPrefix):
		return 3
	case strings.HasPrefix(l.Message, reportPrefix):
		return 4
	}
	return 2
}

// SortLogLines orders lines by time, the platform's lines framing their
// invocation's: START before and END, REPORT after every line of it in
// lines, even one Docker timestamped after the answer went out (the
// platform appends its lines once the invocation has ended, so the store
// holds them out of order). Lines of equal rank keep their order.
func SortLogLines(lines []LogLine) {
	type bounds struct{ first, last time.Time }
	var inv map[string]bounds
	for i := range lines {
		l := &lines[i]
		if l.Invocation == "" || l.Stream == StreamPlatform {
			continue
		}
		if inv == nil {
			inv = map[string]bounds{}
		}
		b, ok := inv[l.Invocation]
		if !ok || l.Time.Before(b.first) {
			b.first = l.Time
		}
		if !ok || l.Time.After(b.last) {
			b.last = l.Time
		}
		inv[l.Invocation] = b
	}
	type keyed struct {
		at    time.Time
		phase int
		line  LogLine
	}
	k := make([]keyed, len(lines))
	for i, l := range lines {
		k[i] = keyed{at: l.Time, phase: 1, line: l}
		if l.Stream != StreamPlatform || l.Invocation == "" {
			continue
		}
		k[i].phase = l.phase()
		b, ok := inv[l.Invocation]
		switch {
		case !ok:
		case k[i].phase == 0 && b.first.Before(k[i].at):
			k[i].at = b.first
		case k[i].phase > 1 && b.last.After(k[i].at):
			k[i].at = b.last
		}
	}
	slices.SortStableFunc(k, func(a, b keyed) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		if a.line.Invocation == b.line.Invocation {
			return cmp.Compare(a.phase, b.phase)
		}
		return 0
	})
	for i := range k {
		lines[i] = k[i].line
	}
}
