package sqlite

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// BenchmarkSaveInvocations is the history's store cost per record, in
// batches of 256 into a function already at its cap of 1,000 (each batch
// also prunes a chunk): what the background writer spends per synchronous
// invocation under load (cpu-ns/record: the process's CPU time).
func BenchmarkSaveInvocations(b *testing.B) {
	db := NewDB(b.TempDir() + "/lambda.db")
	if err := db.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer db.Close(context.Background())
	fs := NewFunctionStore(db)
	if err := fs.PublishVersion(context.Background(), testVersion("greet", 1)); err != nil {
		b.Fatal(err)
	}
	s := NewInvocationStore(db)
	const batch = 256
	n := 0
	save := func() {
		recs := make([]*lambda.Invocation, batch)
		for i := range recs {
			n++
			recs[i] = &lambda.Invocation{ID: fmt.Sprintf("r-%d", n), Function: "greet", Version: 1, Trigger: lambda.TriggerHTTP,
				Start: t0.Add(time.Duration(n) * time.Millisecond), Duration: time.Millisecond, Status: lambda.StatusSucceeded, HTTPStatus: 200,
				TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}
		}
		if err := s.SaveInvocations(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	for range lambda.MaxInvocationsKept/batch + 1 {
		save()
	}
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for range b.N {
		save()
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N*batch), "cpu-ns/record")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
}

// cpuTime is the process's CPU time so far, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
