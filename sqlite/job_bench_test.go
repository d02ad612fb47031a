package sqlite

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// Measure with, for example:
//
//	go test ./sqlite -run '^$' -bench 'Job' -benchtime 5s
//
// jobs/s is the durable rate (each job committed with synchronous=FULL
// before its call returned), jobs/commit how many jobs shared a commit and
// cpu-µs/job the process's CPU time (user and system) per job, which a
// loaded machine changes less than the rate.

func benchStore(b *testing.B) *JobStore {
	b.Helper()
	ctx := context.Background()
	db := NewDB(filepath.Join(b.TempDir(), "bench.db"))
	if err := db.Open(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close(ctx) })
	fs := NewFunctionStore(db)
	for _, fn := range []string{"greet", "other"} {
		if err := fs.PublishVersion(ctx, testVersion(fn, 1)); err != nil {
			b.Fatal(err)
		}
	}
	return NewJobStore(db)
}

// kilobyte is a 1 KB JSON payload.
var kilobyte = []byte(`{"data":"` + strings.Repeat("x", 1024-11) + `"}`)

// processCPU returns the CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportRate(b *testing.B, s *JobStore, start time.Time, cpu time.Duration, jobs int, batches, ops int64) {
	b.ReportMetric(float64(jobs)/time.Since(start).Seconds(), "jobs/s")
	if jobs > 0 {
		b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(jobs), "cpu-µs/job")
	}
	if n := s.db.batcher.batches.Load() - batches; n > 0 {
		b.ReportMetric(float64(s.db.batcher.ops.Load()-ops)/float64(n), "writes/commit")
	}
}

// BenchmarkCreateJob32 creates jobs with a 1 KB payload from 32 goroutines.
func BenchmarkCreateJob32(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	hash := hashOf(string(kilobyte))
	b.SetParallelism(max(1, 32/max(1, runtime.GOMAXPROCS(0))))
	batches, ops := s.db.batcher.batches.Load(), s.db.batcher.ops.Load()
	start, cpu := time.Now(), processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			j := &lambda.Job{Function: "greet", Trigger: lambda.TriggerAsync, Payload: kilobyte, PayloadHash: hash}
			if _, _, err := s.CreateJob(ctx, lambda.NewJob{Job: j}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, s, start, cpu, b.N, batches, ops)
}

// BenchmarkClaimUpdate32 takes queued jobs one at a time from 32
// goroutines and records each one's end, as async workers do.
func BenchmarkClaimUpdate32(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	insertJobs(b, s, "greet", b.N+64, lambda.StatusQueued)
	now := t0.Add(time.Hour)
	b.SetParallelism(max(1, 32/max(1, runtime.GOMAXPROCS(0))))
	var done atomic.Int64
	batches, ops := s.db.batcher.batches.Load(), s.db.batcher.ops.Load()
	b.ResetTimer()
	start, cpu := time.Now(), processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			jobs, err := s.ClaimJobs(ctx, "greet", now, 1)
			if err != nil || len(jobs) != 1 {
				b.Errorf("ClaimJobs: %v, %v", jobs, err)
				return
			}
			j := jobs[0]
			j.Status, j.Attempts, j.HTTPStatus, j.Response = lambda.StatusSucceeded, 1, 200, []byte(`{"ok":true}`)
			j.History = append(j.History, lambda.JobAttempt{Attempt: 1, Counted: true, Start: now, Status: lambda.StatusSucceeded})
			if err := s.UpdateJob(ctx, j); err != nil {
				b.Error(err)
				return
			}
			done.Add(1)
		}
	})
	reportRate(b, s, start, cpu, int(done.Load()), batches, ops)
}

// BenchmarkDeepQueue measures the calls of a function with 100,000 queued
// jobs, one call at a time.
func BenchmarkDeepQueue(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	const depth = 100_000
	insertJobs(b, s, "greet", depth, lambda.StatusQueued)
	insertJobs(b, s, "greet", 1000, lambda.StatusDead)
	now := t0.Add(time.Hour)
	b.Run("CreateJob", func(b *testing.B) {
		for b.Loop() {
			j := &lambda.Job{Function: "greet", Trigger: lambda.TriggerAsync, Payload: kilobyte}
			if _, _, err := s.CreateJob(ctx, lambda.NewJob{Job: j, MaxQueued: 10 * depth}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Claim", func(b *testing.B) {
		for b.Loop() {
			if jobs, err := s.ClaimJobs(ctx, "greet", now, 1); err != nil || len(jobs) != 1 {
				b.Fatalf("ClaimJobs: %v, %v", jobs, err)
			}
		}
	})
	b.Run("ClaimUpdate", func(b *testing.B) {
		for b.Loop() {
			jobs, err := s.ClaimJobs(ctx, "greet", now, 1)
			if err != nil || len(jobs) != 1 {
				b.Fatalf("ClaimJobs: %v, %v", jobs, err)
			}
			jobs[0].Status = lambda.StatusSucceeded
			if err := s.UpdateJob(ctx, jobs[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DueJobs", func(b *testing.B) {
		for b.Loop() {
			if due, err := s.DueJobs(ctx); err != nil || len(due) != 1 {
				b.Fatalf("DueJobs: %v, %v", due, err)
			}
		}
	})
	b.Run("CountJobs", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.CountJobs(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ListDead", func(b *testing.B) {
		for b.Loop() {
			if l, err := s.ListJobs(ctx, lambda.JobFilter{Function: "greet", Status: lambda.StatusDead}); err != nil || len(l) != lambda.DefaultJobListLimit {
				b.Fatalf("ListJobs: %d, %v", len(l), err)
			}
		}
	})
}
