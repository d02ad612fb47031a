package lambda

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

func TestReportLine(t *testing.T) {
	for _, c := range []struct {
		name string
		inv  Invocation
		want string
	}{
		{"warm", Invocation{ID: "id-1", Version: 3, Duration: 12340 * time.Microsecond, MemoryMB: 256, MaxMemoryUsedMB: 31},
			"REPORT RequestId: id-1\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 31 MB\t"},
		{"cold: Init Duration last, not in Duration", Invocation{ID: "id-2", Version: 1, Duration: 500 * time.Millisecond, Cold: true, InitDuration: 480250 * time.Microsecond, MemoryMB: 128, MaxMemoryUsedMB: 9},
			"REPORT RequestId: id-2\tDuration: 19.75 ms\tBilled Duration: 20 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB\tInit Duration: 480.25 ms\t"},
		{"memory use unknown (http function): left out", Invocation{ID: "id-3", Version: 1, Duration: time.Millisecond, MemoryMB: 512},
			"REPORT RequestId: id-3\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 512 MB\t"},
		{"under a millisecond bills one", Invocation{ID: "id-4", Version: 1, Duration: 80 * time.Microsecond},
			"REPORT RequestId: id-4\tDuration: 0.08 ms\tBilled Duration: 1 ms\tMemory Size: 256 MB\t"},
		{"a whole millisecond is not rounded up", Invocation{ID: "id-5", Version: 1, Duration: 2 * time.Millisecond, MemoryMB: 64},
			"REPORT RequestId: id-5\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 64 MB\t"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ReportLine(&c.inv); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestStartEndLines(t *testing.T) {
	inv := &Invocation{ID: "8f507cfc-1b2c-4697-b07a-ac58fc914c95", Version: 12}
	if got, want := StartLine(inv), "START RequestId: 8f507cfc-1b2c-4697-b07a-ac58fc914c95 Version: 12"; got != want {
		t.Errorf("START %q, want %q", got, want)
	}
	if got, want := EndLine(inv), "END RequestId: 8f507cfc-1b2c-4697-b07a-ac58fc914c95"; got != want {
		t.Errorf("END %q, want %q", got, want)
	}
}

func TestPlatformLines(t *testing.T) {
	inv := &Invocation{ID: "a", Function: "greet", Version: 2, Instance: "c0ffee", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Start: t0, Duration: 5 * time.Millisecond}
	got := PlatformLines(inv)
	for i, want := range []struct {
		at  time.Time
		msg string
	}{{t0, "START "}, {t0.Add(5 * time.Millisecond), "END "}, {t0.Add(5 * time.Millisecond), "REPORT "}} {
		l := got[i]
		if !l.Time.Equal(want.at) || !strings.HasPrefix(l.Message, want.msg) || l.Stream != StreamPlatform ||
			l.Function != "greet" || l.Version != 2 || l.Instance != "c0ffee" || l.Invocation != "a" || l.TraceID != inv.TraceID {
			t.Errorf("line %d: %+v", i, l)
		}
	}
	if HasPlatformLines(&Invocation{ID: "throttled"}) {
		t.Errorf("an invocation no instance took has lines")
	}
}

func TestLogTailWithReport(t *testing.T) {
	inv := &Invocation{ID: "id", Version: 1, Duration: time.Millisecond, MemoryMB: 128}
	report := ReportLine(inv)
	for _, c := range []struct {
		name   string
		output string
		want   string
	}{
		{"printed nothing", "", "START RequestId: id Version: 1\nEND RequestId: id\n" + report + "\n"},
		{"lines", "hello\nworld\n", "START RequestId: id Version: 1\nhello\nworld\nEND RequestId: id\n" + report + "\n"},
		{"no final newline", "hello", "START RequestId: id Version: 1\nhello\nEND RequestId: id\n" + report + "\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := string(LogTailWithReport(inv, []byte(c.output))); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
	t.Run("over 4 KB: the output's end is kept", func(t *testing.T) {
		out := strings.Repeat("a", MaxLogTailBytes) + "LAST\n"
		got := string(LogTailWithReport(inv, []byte(out)))
		if len(got) != MaxLogTailBytes || !strings.HasPrefix(got, "START RequestId: id Version: 1\naaa") || !strings.Contains(got, "LAST\nEND RequestId: id\n"+report+"\n") {
			t.Errorf("%d bytes: %q…%q", len(got), got[:40], got[len(got)-120:])
		}
	})
}

func TestSortLogLines(t *testing.T) {
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	inv := &Invocation{ID: "x", Function: "f", Version: 1, Start: at(0), Duration: 10 * time.Millisecond}
	pl := PlatformLines(inv)
	fn := func(ms int, msg, id string) LogLine {
		return LogLine{Time: at(ms), Function: "f", Stream: StreamStdout, Invocation: id, Message: msg}
	}
	for _, c := range []struct {
		name string
		in   []LogLine
		want []string
	}{
		{"stored after the function's lines", []LogLine{fn(2, "one", "x"), fn(5, "two", "x"), pl[0], pl[1], pl[2]},
			[]string{"START", "one", "two", "END", "REPORT"}},
		{"a line Docker timestamped after the answer stays inside", []LogLine{fn(2, "one", "x"), pl[0], pl[1], pl[2], fn(14, "late", "x")},
			[]string{"START", "one", "late", "END", "REPORT"}},
		{"a line timestamped before the start stays inside", []LogLine{fn(-1, "early", "x"), pl[0], pl[1], pl[2]},
			[]string{"START", "early", "END", "REPORT"}},
		{"other lines by time", []LogLine{fn(3, "inside", "x"), fn(20, "after", ""), pl[0], pl[1], pl[2], fn(-5, "before", "y")},
			[]string{"before", "START", "inside", "END", "REPORT", "after"}},
		{"END and REPORT at the same time keep their order", []LogLine{pl[2], pl[1], pl[0]},
			[]string{"START", "END", "REPORT"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			lines := append([]LogLine(nil), c.in...)
			SortLogLines(lines)
			var got []string
			for _, l := range lines {
				w, _, _ := strings.Cut(l.Message, " ")
				got = append(got, w)
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestLogFilterUntilAndOutputOnly(t *testing.T) {
	out := &LogLine{Time: t0, Stream: StreamStdout}
	plat := &LogLine{Time: t0, Stream: StreamPlatform}
	for _, c := range []struct {
		name string
		f    LogFilter
		l    *LogLine
		want bool
	}{
		{"before until", LogFilter{Until: t0.Add(time.Nanosecond)}, out, true},
		{"at until: excluded", LogFilter{Until: t0}, out, false},
		{"platform line", LogFilter{}, plat, true},
		{"platform line, output only", LogFilter{OutputOnly: true}, plat, false},
		{"output line, output only", LogFilter{OutputOnly: true}, out, true},
	} {
		if got := c.f.Match(c.l); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// A function's output is anything: the tail stays within 4 KB, starts with
// START when there is room, and always ends with END and REPORT.
func FuzzLogTailWithReport(f *testing.F) {
	f.Add([]byte(""), "id")
	f.Add([]byte("hello\nworld"), "8f507cfc-1b2c-4697-b07a-ac58fc914c95")
	f.Add([]byte(strings.Repeat("x", 5000)), strings.Repeat("i", 128))
	f.Fuzz(func(t *testing.T, output []byte, id string) {
		if len(id) > 128 {
			id = id[:128]
		}
		inv := &Invocation{ID: id, Version: 1, Duration: time.Millisecond, MemoryMB: 128}
		got := string(LogTailWithReport(inv, output))
		foot := EndLine(inv) + "\n" + ReportLine(inv) + "\n"
		if len(got) > MaxLogTailBytes || !strings.HasSuffix(got, foot) {
			t.Fatalf("%d bytes, ends %q", len(got), got[max(0, len(got)-200):])
		}
		if len(output) < MaxLogTailBytes/2 && !strings.HasPrefix(got, StartLine(inv)+"\n") {
			t.Fatalf("no START with room for it: %q", got[:min(len(got), 200)])
		}
	})
}
