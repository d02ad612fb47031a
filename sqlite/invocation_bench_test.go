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
// invocation under load (cpu-ns/record: the process's CPU time). IDs are
// the platform's (time-ordered: a batch has one or two keys in
// invocation_keys); "stored" has 200 other functions at their cap;
// batch=N batches of N instead of 256 (the recorder writes what 100 ms
// brought, up to 256: a batch's fixed cost is spread over fewer records
// when requests are fewer).
func BenchmarkSaveInvocations(b *testing.B) {
	for _, bb := range []struct {
		name          string
		others, batch int
	}{{"one", 0, 256}, {"stored", 200, 256}, {"batch=64", 0, 64}, {"batch=160", 0, 160}, {"batch=512", 0, 512}} {
		b.Run(bb.name, func(b *testing.B) { benchmarkSaveInvocations(b, bb.others, bb.batch) })
	}
}

func benchmarkSaveInvocations(b *testing.B, others, batch int) {
	ctx := context.Background()
	db := NewDB(b.TempDir() + "/lambda.db")
	if err := db.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer db.Close(ctx)
	fs := NewFunctionStore(db)
	s := NewInvocationStore(db)
	for f := range others {
		fillFunction(b, fs, s, fmt.Sprintf("fn%d", f))
	}
	if err := fs.PublishVersion(ctx, testVersion("greet", 1)); err != nil {
		b.Fatal(err)
	}
	n := 0
	save := func() {
		recs := make([]*lambda.Invocation, batch)
		for i := range recs {
			n++
			recs[i] = &lambda.Invocation{ID: lambda.NewRequestID(), Function: "greet", Version: 1, Trigger: lambda.TriggerHTTP,
				Start: t0.Add(time.Duration(n) * time.Millisecond), Duration: time.Millisecond, Status: lambda.StatusSucceeded, HTTPStatus: 200,
				TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}
		}
		if err := s.SaveInvocations(ctx, recs); err != nil {
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

// fillFunction creates fn with MaxInvocationsKept records of random IDs.
func fillFunction(b *testing.B, fs *FunctionStore, s *InvocationStore, fn string) {
	ctx := context.Background()
	if err := fs.PublishVersion(ctx, testVersion(fn, 1)); err != nil {
		b.Fatal(err)
	}
	recs := make([]*lambda.Invocation, lambda.MaxInvocationsKept)
	for i := range recs {
		recs[i] = &lambda.Invocation{ID: lambda.NewRequestID(), Function: fn, Version: 1, Trigger: lambda.TriggerHTTP,
			Start: t0.Add(time.Duration(i) * time.Millisecond), Duration: time.Millisecond, Status: lambda.StatusSucceeded, HTTPStatus: 200}
	}
	if err := s.SaveInvocations(ctx, recs); err != nil {
		b.Fatal(err)
	}
}

// cpuTime is the process's CPU time so far, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFindInvocationMiss is a lookup of an unknown ID among 200,000
// stored records (200 functions at their cap of 1,000), what
// GET /v1/invocations/{id} costs any caller: a search of invocation_keys,
// not a read of every chunk. "new" is an ID of no stored key; "same key"
// one made in the same 16 ms as a stored chunk's records, whose text is
// read.
func BenchmarkFindInvocationMiss(b *testing.B) {
	ctx := context.Background()
	db := NewDB(b.TempDir() + "/lambda.db")
	if err := db.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer db.Close(ctx)
	fs := NewFunctionStore(db)
	s := NewInvocationStore(db)
	for f := range 200 {
		fillFunction(b, fs, s, fmt.Sprintf("fn%d", f))
	}
	var stored string
	if err := db.read.QueryRow(`SELECT key FROM invocation_keys ORDER BY chunk DESC LIMIT 1`).Scan(&stored); err != nil {
		b.Fatal(err)
	}
	for _, bb := range []struct {
		name string
		id   func() string
	}{
		{"new", func() string { return "00000000-0000-7000-8000-000000000000" }},
		{"same key", func() string { return stored + "0-7000-8000-000000000000" }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.FindInvocation(ctx, bb.id()); lambda.ErrorCode(err) != lambda.ENOTFOUND {
					b.Fatal(err)
				}
			}
		})
	}
}
