package sqlite_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/async"
	"github.com/lambdahq/lambda/async/asynctest"
	"github.com/lambdahq/lambda/sqlite"
)

// TestJobStoreQueueSuite runs the async queue's shared suite over the
// SQLite job store: the queue on the real store, the store held to the
// contract the queue relies on.
func TestJobStoreQueueSuite(t *testing.T) {
	asynctest.Run(t, func(t *testing.T) (lambda.JobStore, lambda.FunctionStore) {
		db := sqlite.NewDB(filepath.Join(t.TempDir(), "lambda.db"))
		if err := db.Open(context.Background()); err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := db.Close(ctx); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return sqlite.NewJobStore(db), sqlite.NewFunctionStore(db)
	})
}

// signalInvoker answers at once and reports the time each request came.
type signalInvoker struct{ got chan time.Time }

func (s signalInvoker) Invoke(_ context.Context, req *lambda.InvokeRequest) (*lambda.InvokeResult, error) {
	s.got <- time.Now()
	return &lambda.InvokeResult{StatusCode: 200, Payload: []byte(`{}`)}, nil
}

// benchStores opens a fresh database with one function, noop.
func benchStores(b *testing.B, s lambda.Scaling) (*sqlite.JobStore, *sqlite.FunctionStore) {
	b.Helper()
	ctx := context.Background()
	db := sqlite.NewDB(filepath.Join(b.TempDir(), "lambda.db"))
	if err := db.Open(ctx); err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { db.Close(ctx) })
	fns := sqlite.NewFunctionStore(db)
	v := &lambda.Version{Function: "noop", Number: 1, Image: "func-noop:v1", ImageID: "sha256:noop", CodeSHA256: "c0de", CreatedAt: time.Now(),
		Config: lambda.Config{Runtime: lambda.RuntimeGo, Protocol: lambda.ProtocolAWS, Port: 8080, MemoryBytes: 128 << 20, Timeout: lambda.Duration(time.Second)}}
	if err := fns.PublishVersion(ctx, v); err != nil {
		b.Fatalf("PublishVersion: %v", err)
	}
	if err := fns.SetScaling(ctx, "noop", s); err != nil {
		b.Fatalf("SetScaling: %v", err)
	}
	return sqlite.NewJobStore(db), fns
}

// benchQueue returns a queue over the stores, open when open is set.
func benchQueue(b *testing.B, jobs *sqlite.JobStore, fns *sqlite.FunctionStore, inv lambda.Invoker, open bool) *async.Queue {
	b.Helper()
	q := async.New(jobs, fns, inv)
	q.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if open {
		if err := q.Open(context.Background()); err != nil {
			b.Fatalf("Open queue: %v", err)
		}
	}
	b.Cleanup(func() { q.Close(context.Background()) })
	return q
}

// BenchmarkQueueDispatch measures, on an idle queue, the time from a
// submission's commit (Submit returned) to the function receiving it.
func BenchmarkQueueDispatch(b *testing.B) {
	inv := signalInvoker{got: make(chan time.Time, 1)}
	jobs, fns := benchStores(b, lambda.Scaling{})
	q := benchQueue(b, jobs, fns, inv, true)
	ctx := context.Background()
	var lat []time.Duration
	for b.Loop() {
		if _, _, err := q.Submit(ctx, &lambda.InvokeRequest{Function: "noop", Payload: []byte(`{"n":1}`)}); err != nil {
			b.Fatalf("Submit: %v", err)
		}
		committed := time.Now()
		lat = append(lat, (<-inv.got).Sub(committed))
		time.Sleep(2 * time.Millisecond) // the job's record is written: the queue is idle again
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}

const benchJobs = 2000

// submitAll submits benchJobs jobs from 32 goroutines.
func submitAll(b *testing.B, q *async.Queue) {
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := g; i < benchJobs; i += 32 {
				if _, _, err := q.Submit(context.Background(), &lambda.InvokeRequest{Function: "noop", Payload: []byte(`{"n":1}`)}); err != nil {
					b.Errorf("Submit: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkQueueThroughput measures jobs submitted and run per second by
// a no-op function with async concurrency 10, from 32 submitters.
func BenchmarkQueueThroughput(b *testing.B) {
	inv := signalInvoker{got: make(chan time.Time, benchJobs)}
	jobs, fns := benchStores(b, lambda.Scaling{AsyncConcurrency: 10})
	q := benchQueue(b, jobs, fns, inv, true)
	for b.Loop() {
		start := time.Now()
		submitAll(b, q)
		enqueued := time.Since(start)
		for range benchJobs {
			<-inv.got
		}
		b.ReportMetric(benchJobs/enqueued.Seconds(), "enqueue/s")
		b.ReportMetric(benchJobs/time.Since(start).Seconds(), "jobs/s")
	}
}

// BenchmarkQueueDrain measures jobs run per second by a no-op function
// with async concurrency 10, from a backlog.
func BenchmarkQueueDrain(b *testing.B) {
	inv := signalInvoker{got: make(chan time.Time, benchJobs)}
	jobs, fns := benchStores(b, lambda.Scaling{AsyncConcurrency: 10})
	for b.Loop() {
		b.StopTimer()
		submitAll(b, benchQueue(b, jobs, fns, inv, false))
		b.StartTimer()
		start := time.Now()
		q := benchQueue(b, jobs, fns, inv, true)
		for range benchJobs {
			<-inv.got
		}
		b.ReportMetric(benchJobs/time.Since(start).Seconds(), "jobs/s")
		q.Close(context.Background())
	}
}

// BenchmarkQueueRound32 is the store's side of the bench's async
// throughput round: 32 submitters, async concurrency 32, a no-op invoker,
// until every job's outcome is written. cpu-µs/job is the process's CPU
// per completed job (submission, claim, run, outcome), the figure to
// compare store changes by: go test ./sqlite -run '^$' -bench QueueRound32
// -benchtime 5x.
func BenchmarkQueueRound32(b *testing.B) {
	inv := signalInvoker{got: make(chan time.Time, benchJobs)}
	jobs, fns := benchStores(b, lambda.Scaling{AsyncConcurrency: 32})
	q := benchQueue(b, jobs, fns, inv, false)
	// The server's lookup answers from memory (the engine's routing
	// state): so does this one, after its first read.
	fn, err := (lambda.LookupStore{Store: fns}).LookupFunction(context.Background(), "noop")
	if err != nil {
		b.Fatalf("LookupFunction: %v", err)
	}
	q.Lookup = fixedLookup{fn}
	ctx := context.Background()
	if err := q.Open(ctx); err != nil {
		b.Fatalf("Open queue: %v", err)
	}
	var cpu, elapsed time.Duration
	batches, ops := sqlite.JobBatchStats(jobs)
	for b.Loop() {
		start, c := time.Now(), sqliteProcessCPU()
		submitAll(b, q)
		for range benchJobs {
			<-inv.got
		}
		for {
			counts, err := jobs.CountJobs(ctx)
			if err != nil {
				b.Fatalf("CountJobs: %v", err)
			}
			if counts["noop"][lambda.StatusSucceeded] >= benchJobs*b.N {
				break
			}
			time.Sleep(time.Millisecond)
		}
		cpu += sqliteProcessCPU() - c
		elapsed += time.Since(start)
	}
	n := float64(benchJobs * b.N)
	b.ReportMetric(n/elapsed.Seconds(), "jobs/s")
	b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/job")
	nb, no := sqlite.JobBatchStats(jobs)
	b.ReportMetric(float64(nb-batches)/n, "commits/job")
	b.ReportMetric(float64(no-ops)/n, "writes/job")
}

// fixedLookup answers every lookup with one function, as the engine does
// from memory.
type fixedLookup struct{ fn lambda.ActiveFunction }

func (l fixedLookup) LookupFunction(context.Context, string) (lambda.ActiveFunction, error) {
	return l.fn, nil
}

// sqliteProcessCPU returns the CPU time (user and system) the process has
// used.
func sqliteProcessCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
