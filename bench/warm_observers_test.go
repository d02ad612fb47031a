package bench_test

import (
	"context"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/history"
	"github.com/lambdahq/lambda/logfile"
	"github.com/lambdahq/lambda/sqlite"
)

// BenchmarkWarmObservers is the background work a warm gateway request
// leaves behind, as `lambda server` wires it: its record queued to the
// history recorder and saved in SQLite batches, its START, END and REPORT
// lines queued to the reporter and appended to the log store. It is the
// part of warm.gateway_cpu_us_per_req issue 11 added that runs outside
// the request (the stats and metrics, atomic counters, are left out).
// Records are observed in bursts of 512 (a batch of each writer), each waited for, so that none
// is dropped. cpu-ns/op is the process's CPU time per request; under
// valgrind (docs/performance.md) the instructions per request, which the
// machine's load does not move:
//
//	go test ./bench -run X -bench WarmObservers -benchtime 20000x
func BenchmarkWarmObservers(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	db := sqlite.NewDB(dir + "/lambda.db")
	if err := db.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer db.Close(ctx)
	v := &lambda.Version{Function: "greet", Number: 1, Image: "func-greet:v1", ImageID: "sha256:abc",
		Config: lambda.Config{Runtime: lambda.RuntimeGo, Protocol: lambda.ProtocolHTTP, Port: 8080, MemoryBytes: 128 << 20,
			Timeout: lambda.Duration(3 * time.Second)}, CreatedAt: time.Now()}
	if err := sqlite.NewFunctionStore(db).PublishVersion(ctx, v); err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	logs := logfile.New(dir + "/logs")
	logs.Logger = logger
	if err := logs.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer logs.Close(ctx)
	rec := history.New(sqlite.NewInvocationStore(db), logger)
	rep := logfile.NewReporter(logs, logger)
	if err := rec.Open(ctx); err != nil {
		b.Fatal(err)
	}
	if err := rep.Open(ctx); err != nil {
		b.Fatal(err)
	}
	observers := lambda.Observers{rec, rep}
	observe := func(n int) {
		for range n {
			start := time.Now()
			observers.ObserveInvocation(&lambda.Invocation{
				ID: lambda.NewRequestID(), Function: "greet", Version: 1, Trigger: lambda.TriggerHTTP, Start: start,
				Duration: 1200 * time.Microsecond, Status: lambda.StatusSucceeded, HTTPStatus: 200, Attempt: 1,
				Instance: "lambda-greet-1-6f1c2a", MemoryMB: 128, MaxMemoryUsedMB: 9, QueueWait: 3 * time.Microsecond,
				TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
			})
		}
	}
	// wait for the writers to have taken every record observed so far.
	observed := int64(0)
	wait := func() {
		deadline := time.Now().Add(time.Minute)
		for rec.Written()+rec.Dropped() < observed || rep.Written()+rep.Dropped() < observed {
			if time.Now().After(deadline) {
				b.Fatalf("the writers did not catch up within a minute: history %d, reporter %d of %d", rec.Written(), rep.Written(), observed)
			}
			time.Sleep(time.Millisecond)
		}
	}
	// A function at its cap of records, as under a steady load.
	for range lambda.MaxInvocationsKept/512 + 1 {
		observe(512)
		observed += 512
		wait()
	}
	b.ReportAllocs()
	cpu0 := processCPU(b)
	b.ResetTimer()
	for left := b.N; left > 0; left -= 512 {
		n := min(left, 512)
		observe(n)
		observed += int64(n)
		wait()
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
	if err := rec.Close(ctx); err != nil {
		b.Fatal(err)
	}
	if err := rep.Close(ctx); err != nil {
		b.Fatal(err)
	}
	if d := rec.Dropped() + rep.Dropped(); d > 0 {
		b.Fatalf("%d records or lines dropped: measured drops, not writes", d)
	}
}

// processCPU is the process's CPU time so far, user and system, in ns.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
