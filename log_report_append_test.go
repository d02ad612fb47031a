package lambda

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAppendPlatformLinesMatchesPlatformLines: the one-buffer formatting
// writes the same lines as StartLine, EndLine, ReportLine and FailureLine.
func TestAppendPlatformLinesMatchesPlatformLines(t *testing.T) {
	warm := Invocation{ID: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", Function: "f", Version: 2, Instance: "i", TraceID: "t",
		Start: time.Date(2026, 12, 5, 23, 0, 0, 0, time.UTC), Duration: 1500 * time.Microsecond, MemoryMB: 128}
	cold := warm
	cold.Cold, cold.InitDuration, cold.Duration, cold.MaxMemoryUsedMB = true, 300*time.Millisecond, 310*time.Millisecond, 40
	timeout := warm
	timeout.ErrorType, timeout.Timeout, timeout.Duration = ETIMEOUT, time.Second, 1100*time.Millisecond
	crash := warm
	crash.RuntimeExit = "exit status 2"
	long := warm
	long.ID = strings.Repeat("x", 400) // past the stack buffer
	for _, tt := range []struct {
		name string
		inv  Invocation
	}{{"warm", warm}, {"cold", cold}, {"timeout", timeout}, {"crash", crash}, {"long id", long}} {
		t.Run(tt.name, func(t *testing.T) {
			pl := PlatformLines(&tt.inv)
			want := []LogLine{pl[0]}
			if msg, ok := FailureLine(&tt.inv); ok {
				l := pl[1]
				l.Message = msg
				want = append(want, l)
			}
			want = append(want, pl[1], pl[2])
			prior := LogLine{Message: "kept"}
			got := AppendPlatformLines([]LogLine{prior}, &tt.inv)
			if got[0] != prior || !slices.Equal(got[1:], want) {
				t.Fatalf("got %+v\nwant %+v", got[1:], want)
			}
		})
	}
}

func BenchmarkAppendPlatformLines(b *testing.B) {
	inv := &Invocation{ID: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", Function: "hello", Version: 3, Instance: "lambda-hello-3",
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Start: time.Now(), Duration: 1234 * time.Microsecond, MemoryMB: 256}
	b.ReportAllocs()
	lines := make([]LogLine, 0, 3)
	for b.Loop() {
		lines = AppendPlatformLines(lines[:0], inv)
	}
}

// BenchmarkPlatformLines: the three lines as three strings, as the
// reporter formatted them before AppendPlatformLines shared one.
func BenchmarkPlatformLines(b *testing.B) {
	inv := &Invocation{ID: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", Function: "hello", Version: 3, Instance: "lambda-hello-3",
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Start: time.Now(), Duration: 1234 * time.Microsecond, MemoryMB: 256}
	b.ReportAllocs()
	lines := make([]LogLine, 0, 3)
	for b.Loop() {
		pl := PlatformLines(inv)
		lines = append(lines[:0], pl[:]...)
	}
}
