package lambda

import (
	"strings"
	"testing"
	"time"
)

// Lambda's lines for a failure the function did not answer itself: a
// timeout says the function's timeout, before END, and its REPORT is billed
// the timeout, not the platform's wait for the shim past it; a crash says
// how the runtime ended and its REPORT ends with Status: error and the
// Error Type. A handled error and a success get no line.
func TestFailureLines(t *testing.T) {
	end := t0.Add(3500 * time.Millisecond)
	base := Invocation{ID: "id-1", Version: 1, Start: t0, Duration: 3500740 * time.Microsecond, MemoryMB: 128, Timeout: 3 * time.Second, Status: StatusFailed}
	for _, c := range []struct {
		name     string
		edit     func(*Invocation)
		line     string // "" when none
		reportOK string // the REPORT line's end after Memory Size
	}{
		{"timeout, 500 ms slack", func(i *Invocation) { i.ErrorType = ETIMEOUT },
			end.Format("2006-01-02T15:04:05.000Z") + " id-1 Task timed out after 3.00 seconds",
			"\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tStatus: timeout\t"},
		{"timeout, cold: still the timeout", func(i *Invocation) {
			i.ErrorType, i.Cold, i.InitDuration, i.Duration = ETIMEOUT, true, time.Second, 4600*time.Millisecond
		},
			t0.Add(4600*time.Millisecond).Format("2006-01-02T15:04:05.000Z") + " id-1 Task timed out after 3.00 seconds",
			"\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tInit Duration: 1000.00 ms\tStatus: timeout\t"},
		{"timeout of a per-call 1.5 s", func(i *Invocation) { i.ErrorType, i.Timeout = ETIMEOUT, 1500*time.Millisecond },
			end.Format("2006-01-02T15:04:05.000Z") + " id-1 Task timed out after 1.50 seconds",
			"\tDuration: 1500.00 ms\tBilled Duration: 1500 ms\tMemory Size: 128 MB\tStatus: timeout\t"},
		{"timeout, timeout unknown: the duration", func(i *Invocation) { i.ErrorType, i.Timeout = ETIMEOUT, 0 },
			end.Format("2006-01-02T15:04:05.000Z") + " id-1 Task timed out after 3.50 seconds",
			"\tDuration: 3500.74 ms\tBilled Duration: 3501 ms\tMemory Size: 128 MB\tStatus: timeout\t"},
		{"crash", func(i *Invocation) {
			i.ErrorType, i.RuntimeExit, i.Duration = EFUNCTION, "exit status 1", 12340*time.Microsecond
		},
			"RequestId: id-1 Error: Runtime exited with error: exit status 1",
			"\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tStatus: error\tError Type: Runtime.ExitError\t"},
		{"killed", func(i *Invocation) {
			i.ErrorType, i.RuntimeExit, i.Duration = EFUNCTION, "signal: killed", time.Millisecond
		},
			"RequestId: id-1 Error: Runtime exited with error: signal: killed",
			"\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tStatus: error\tError Type: Runtime.ExitError\t"},
		{"exit 0 during the invocation", func(i *Invocation) {
			i.ErrorType, i.RuntimeExit, i.Duration = EFUNCTION, "exit status 0", time.Millisecond
		},
			"RequestId: id-1 Error: Runtime exited without providing a reason",
			"\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tStatus: error\tError Type: Runtime.ExitError\t"},
		{"connection broke", func(i *Invocation) {
			i.ErrorType, i.RuntimeExit, i.Duration = EFUNCTION, RuntimeExitUnknown, time.Millisecond
		},
			"RequestId: id-1 Error: Runtime exited without providing a reason",
			"\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tStatus: error\tError Type: Runtime.ExitError\t"},
		{"out of memory, how unknown (an http function)", func(i *Invocation) {
			i.ErrorType, i.RuntimeExit, i.Duration = EOUTOFMEMORY, RuntimeExitUnknown, time.Millisecond
		},
			"RequestId: id-1 Error: Runtime exited with error: signal: killed",
			"\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory\t"},
		{"out of memory, the shim's word", func(i *Invocation) {
			i.ErrorType, i.RuntimeExit, i.Duration = EOUTOFMEMORY, "exit status 137", time.Millisecond
		},
			"RequestId: id-1 Error: Runtime exited with error: exit status 137",
			"\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory\t"},
		{"out of memory, no runtime exit recorded", func(i *Invocation) { i.ErrorType, i.Duration = EOUTOFMEMORY, time.Millisecond },
			"RequestId: id-1 Error: Runtime exited with error: signal: killed",
			"\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory\t"},
		{"handled error", func(i *Invocation) { i.ErrorType, i.Duration = EFUNCTION, time.Millisecond }, "",
			"\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\t"},
		{"success past the timeout is capped", func(i *Invocation) { i.Status = StatusSucceeded }, "",
			"\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\t"},
	} {
		t.Run(c.name, func(t *testing.T) {
			inv := base
			c.edit(&inv)
			line, ok := FailureLine(&inv)
			if line != c.line || ok != (c.line != "") {
				t.Errorf("failure line %q %v\nwant         %q", line, ok, c.line)
			}
			if got, want := ReportLine(&inv), "REPORT RequestId: id-1"+c.reportOK; got != want {
				t.Errorf("REPORT %q\nwant   %q", got, want)
			}
			// Stored: START, the failure line, END and REPORT, all of the
			// invocation; the tail has the same order.
			pl := AppendPlatformLines(nil, &inv)
			var msgs []string
			for _, l := range pl {
				if l.Stream != StreamPlatform || l.Invocation != "id-1" {
					t.Errorf("line %+v", l)
				}
				msgs = append(msgs, l.Message)
			}
			want := []string{StartLine(&inv), EndLine(&inv), ReportLine(&inv)}
			if c.line != "" {
				want = []string{want[0], c.line, want[1], want[2]}
			}
			if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
				t.Errorf("stored %q\nwant   %q", msgs, want)
			}
			tail := string(LogTailWithReport(&inv, []byte("output\n")))
			if wantTail := want[0] + "\noutput\n" + strings.Join(want[1:], "\n") + "\n"; tail != wantTail {
				t.Errorf("tail %q\nwant %q", tail, wantTail)
			}
			// A read puts the failure line after the function's lines,
			// even one Docker timestamped after the answer, and before END.
			late := LogLine{Time: inv.Start.Add(inv.Duration + time.Millisecond), Stream: StreamStdout, Invocation: "id-1", Message: "late"}
			lines := append([]LogLine{late}, pl...)
			SortLogLines(lines)
			msgs = msgs[:0]
			for _, l := range lines {
				msgs = append(msgs, l.Message)
			}
			if want := append([]string{want[0], "late"}, want[1:]...); strings.Join(msgs, "\n") != strings.Join(want, "\n") {
				t.Errorf("sorted %q\nwant   %q", msgs, want)
			}
		})
	}
}

func TestParseRuntimeExit(t *testing.T) {
	for in, want := range map[string]string{
		"exit status 1":                       "exit status 1",
		"exit status 137":                     "exit status 137",
		"signal: killed":                      "signal: killed",
		"signal: segmentation fault":          "signal: segmentation fault",
		"exit status one":                     RuntimeExitUnknown,
		"whatever":                            RuntimeExitUnknown,
		"signal: x\nREPORT fake":              RuntimeExitUnknown,
		"signal: " + strings.Repeat("x", 100): RuntimeExitUnknown,
	} {
		if got := ParseRuntimeExit(in); got != want {
			t.Errorf("ParseRuntimeExit(%q) = %q, want %q", in, got, want)
		}
	}
}

// The shim's X-Lambda-Runtime-Exit ends up in a stored line: whatever it
// holds, the record gets a short printable word of it or RuntimeExitUnknown,
// and the line stays one line.
func FuzzParseRuntimeExit(f *testing.F) {
	for _, s := range []string{"exit status 1", "signal: killed", "", "exit status x", "signal: a\nb", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ParseRuntimeExit(s)
		if got != RuntimeExitUnknown && (got != s || !validRuntimeExit(got)) {
			t.Fatalf("ParseRuntimeExit(%q) = %q", s, got)
		}
		line, ok := FailureLine(&Invocation{ID: "id", ErrorType: EFUNCTION, RuntimeExit: got})
		if !ok || strings.ContainsAny(line, "\n\r\t") {
			t.Fatalf("line %q", line)
		}
	})
}
