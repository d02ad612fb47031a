package lambda

import (
	"strconv"
	"strings"
)

// RuntimeExitUnknown is Invocation.RuntimeExit when the function's instance
// went during the invocation without saying how (its connection broke):
// Lambda's "Runtime exited without providing a reason".
const RuntimeExitUnknown = "unknown"

// Lambda's Error Types of an invocation its runtime did not survive: it
// crashed, or the kernel killed it at the function's memory size.
const (
	runtimeExitError   = "Runtime.ExitError"
	runtimeOutOfMemory = "Runtime.OutOfMemory"
)

// runtimeKilled is how Go words a process's end by SIGKILL, which is what
// Lambda's line quotes for a runtime killed for memory.
const runtimeKilled = "signal: killed"

// crashErrorType is the REPORT line's Error Type of inv, whose runtime
// died.
func crashErrorType(inv *Invocation) string {
	if inv.ErrorType == EOUTOFMEMORY {
		return runtimeOutOfMemory
	}
	return runtimeExitError
}

// lambdaTimestamp is how Lambda's own log lines write a time.
const lambdaTimestamp = "2006-01-02T15:04:05.000Z"

// FailureLine is the line Lambda writes, after the function's output and
// before END, for an invocation that timed out or whose runtime died:
//
//	2026-12-05T10:00:03.012Z ID Task timed out after 3.00 seconds
//	RequestId: ID Error: Runtime exited with error: exit status 1
//
// An invocation whose instance the kernel killed at its memory limit
// (out_of_memory) says "signal: killed" when the shim could not say how
// its runtime ended, as Lambda does for one that ran out of memory.
//
// The platform writes it, not the function's runtime, so that it is there
// for every protocol, and says the function's timeout, not the time the
// shim measured. ok is false for other invocations.
func FailureLine(inv *Invocation) (line string, ok bool) {
	switch {
	case inv.ErrorType == ETIMEOUT:
		timeout := inv.Timeout
		if timeout <= 0 {
			timeout = ReportDuration(inv)
		}
		b := make([]byte, 0, 96)
		b = inv.Start.Add(inv.Duration).UTC().AppendFormat(b, lambdaTimestamp)
		b = append(b, ' ')
		b = append(b, inv.ID...)
		b = append(b, " Task timed out after "...)
		b = strconv.AppendFloat(b, timeout.Seconds(), 'f', 2, 64)
		b = append(b, " seconds"...)
		return string(b), true
	case inv.ErrorType == EOUTOFMEMORY && (inv.RuntimeExit == "" || inv.RuntimeExit == RuntimeExitUnknown):
		return "RequestId: " + inv.ID + " Error: Runtime exited with error: " + runtimeKilled, true
	case inv.RuntimeExit == RuntimeExitUnknown, inv.RuntimeExit == "exit status 0":
		return "RequestId: " + inv.ID + " Error: Runtime exited without providing a reason", true
	case inv.RuntimeExit != "":
		return "RequestId: " + inv.ID + " Error: Runtime exited with error: " + inv.RuntimeExit, true
	}
	return "", false
}

// AppendPlatformLines appends inv's platform lines to dst, for the log
// store: START, its FailureLine if it has one, END and REPORT (see
// PlatformLines).
//
// The reporter's writer calls it for every invocation: the three messages
// are formatted into one buffer and share one string, one allocation
// instead of four (BenchmarkAppendPlatformLines).
func AppendPlatformLines(dst []LogLine, inv *Invocation) []LogLine {
	var buf [256]byte
	b := append(buf[:0], startPrefix...)
	b = append(b, inv.ID...)
	b = append(b, " Version: "...)
	b = strconv.AppendInt(b, int64(inv.Version), 10)
	endAt := len(b)
	b = append(b, endPrefix...)
	b = append(b, inv.ID...)
	reportAt := len(b)
	b = appendReportLine(b, inv)
	msgs := string(b)
	end := inv.Start.Add(inv.Duration)
	l := LogLine{Function: inv.Function, Version: inv.Version, Instance: inv.Instance, Stream: StreamPlatform, Invocation: inv.ID, TraceID: inv.TraceID}
	l.Time, l.Message = inv.Start, msgs[:endAt]
	dst = append(dst, l)
	l.Time = end
	if msg, ok := FailureLine(inv); ok {
		l.Message = msg
		dst = append(dst, l)
	}
	l.Message = msgs[endAt:reportAt]
	dst = append(dst, l)
	l.Message = msgs[reportAt:]
	return append(dst, l)
}

// validRuntimeExit reports whether s reads as Go words a process's end
// ("exit status N", "signal: NAME"), which is what Lambda's line quotes.
func validRuntimeExit(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' {
			return false
		}
	}
	return true
}

// ParseRuntimeExit reads the shim's word of how the function's runtime
// ended (an os.ProcessState's String: "exit status 1", "signal: killed"),
// for Invocation.RuntimeExit: anything else, or more than a short line, is
// RuntimeExitUnknown.
func ParseRuntimeExit(s string) string {
	if !validRuntimeExit(s) {
		return RuntimeExitUnknown
	}
	if rest, ok := strings.CutPrefix(s, "exit status "); ok {
		if _, err := strconv.Atoi(rest); err == nil {
			return s
		}
	}
	if _, ok := strings.CutPrefix(s, "signal: "); ok {
		return s
	}
	return RuntimeExitUnknown
}
