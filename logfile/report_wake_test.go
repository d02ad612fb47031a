package logfile

import (
	"context"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

type discardSink struct{}

func (discardSink) Append(context.Context, []lambda.LogLine) error { return nil }

// Fewer invocations than a batch wait for the interval: a request does not
// wake the writer (a goroutine switch, often a thread's wake-up) each time.
func TestReporterWaitsForABatchOrTheInterval(t *testing.T) {
	sink := &sinkLog{}
	r := NewReporter(sink, nil)
	r.Interval, r.Batch = time.Hour, 4
	if err := r.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	for _, id := range []string{"1", "2", "3"} {
		r.ObserveInvocation(ranInvocation(id, "a"))
	}
	time.Sleep(30 * time.Millisecond)
	if n := len(sink.lines()); n != 0 {
		t.Fatalf("%d lines written of 3 invocations, a batch of 4 and an interval of an hour", n)
	}
	r.ObserveInvocation(ranInvocation("4", "a"))
	deadline := time.Now().Add(5 * time.Second)
	for len(sink.lines()) < 12 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(sink.lines()); n != 12 {
		t.Errorf("%d lines once a batch was queued, want its 12", n)
	}
}

// BenchmarkReporterObserveWriting is the request path's share with the
// writer running, invocations arriving 10 µs apart as requests do (a busy
// wait: a sleep costs more than what is measured): the CPU time of the
// whole process per observation (cpu-ns/op), the writer's wake-ups, its
// formatting and appends and the 10 µs of the wait included.
// go test ./logfile -run X -bench ObserveWriting
func BenchmarkReporterObserveWriting(b *testing.B) {
	r := NewReporter(discardSink{}, slog.New(slog.DiscardHandler))
	if err := r.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer r.Close(context.Background())
	inv := ranInvocation("8f507cfc-1b2c-4697-b07a-ac58fc914c95", "greet")
	cpu0 := processCPU(b)
	b.ResetTimer()
	for range b.N {
		r.ObserveInvocation(inv)
		for t := time.Now(); time.Since(t) < 10*time.Microsecond; {
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
