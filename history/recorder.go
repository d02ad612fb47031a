// Package history records recent synchronous invocations in the store, in
// batches written by a background goroutine: the request path only hands
// a copy of the record to a bounded queue.
package history

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/internal/batch"
)

// dropReportInterval spaces the log lines that count dropped records.
const dropReportInterval = 10 * time.Second

// Defaults of a Recorder.
const (
	DefaultQueueSize    = 8192
	DefaultBatchSize    = 256
	DefaultInterval     = 100 * time.Millisecond
	DefaultWriteTimeout = 10 * time.Second
)

var _ lambda.InvocationObserver = (*Recorder)(nil)

// Recorder is the InvocationObserver that keeps synchronous invocations'
// records (http, invoke, api: async and cron attempts are in their jobs).
// ObserveInvocation copies the record into a bounded queue and never
// blocks: when the queue is full the record is dropped and counted, and
// the drops are logged. A writer goroutine saves the queue in batches,
// one store write each, every Interval or BatchSize records.
type Recorder struct {
	Store  lambda.InvocationHistory
	Logger *slog.Logger
	// QueueSize bounds the records waiting to be written; BatchSize the
	// records of one write; Interval how long a record may wait for its
	// batch to fill; WriteTimeout one write.
	QueueSize    int
	BatchSize    int
	Interval     time.Duration
	WriteTimeout time.Duration

	writer  atomic.Pointer[batch.Writer[lambda.Invocation]]
	dropped atomic.Int64 // records the queue had no room for, or whose write failed
	written atomic.Int64
	ptrs    []*lambda.Invocation // the batch's, reused; the writer's only
	// reported and reportedAt are the drops last logged, and when.
	reported   int64
	reportedAt time.Time
}

// New returns a Recorder saving into store, with the defaults set.
func New(store lambda.InvocationHistory, logger *slog.Logger) *Recorder {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Recorder{
		Store: store, Logger: logger, QueueSize: DefaultQueueSize, BatchSize: DefaultBatchSize,
		Interval: DefaultInterval, WriteTimeout: DefaultWriteTimeout,
	}
}

// Open starts the writer. Records observed before Open are dropped.
func (r *Recorder) Open(context.Context) error {
	if r.writer.Load() != nil {
		return errors.New("history: the recorder is already open")
	}
	interval := r.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	w := batch.New[lambda.Invocation](r.QueueSize, r.BatchSize, interval)
	if err := w.Start(r.write, r.tick); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	r.writer.Store(w)
	return nil
}

// Close stops the writer once it has written what was queued (a last write
// bounded by WriteTimeout), or when ctx ends. Records observed after Close
// are dropped.
func (r *Recorder) Close(ctx context.Context) error {
	w := r.writer.Load()
	if w == nil {
		return nil
	}
	if err := w.Stop(ctx); err != nil {
		return fmt.Errorf("history: the last invocation records were not written in time: %w", err)
	}
	r.reportDrops()
	return nil
}

// ObserveInvocation queues a copy of a synchronous invocation's record.
func (r *Recorder) ObserveInvocation(inv *lambda.Invocation) {
	if !inv.Trigger.Sync() {
		return
	}
	if w := r.writer.Load(); w == nil || !w.Offer(inv) {
		r.dropped.Add(1)
	}
}

// Dropped returns how many records were lost: no room in the queue (the
// store fell behind), or a failed write.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Written returns how many records were handed to the store.
func (r *Recorder) Written() int64 { return r.written.Load() }

// write saves a batch (the writer reuses it, and the pointers to it,
// once this returns: the store copies what it keeps).
func (r *Recorder) write(recs []lambda.Invocation) {
	timeout := r.WriteTimeout
	if timeout <= 0 {
		timeout = DefaultWriteTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r.ptrs = r.ptrs[:0]
	for i := range recs {
		r.ptrs = append(r.ptrs, &recs[i])
	}
	defer clear(r.ptrs)
	if err := r.Store.SaveInvocations(ctx, r.ptrs); err != nil {
		r.dropped.Add(int64(len(recs)))
		r.Logger.Error("invocation records were not saved: `lambda invocations` will miss them", "records", len(recs), "err", err)
	} else {
		r.written.Add(int64(len(recs)))
	}
}

// tick logs the drops, one line per dropReportInterval: they come in
// floods.
func (r *Recorder) tick() {
	if now := time.Now(); now.Sub(r.reportedAt) >= dropReportInterval {
		if n := r.reportDrops(); n != 0 {
			r.reportedAt = now
		}
	}
}

// reportDrops logs the records dropped since the last report and returns
// how many it logged.
func (r *Recorder) reportDrops() int64 {
	n := r.dropped.Load()
	if n > r.reported {
		r.Logger.Warn("invocation records were dropped: the history writer fell behind or failed; `lambda invocations` will miss them",
			"dropped", n-r.reported, "dropped_total", n)
		d := n - r.reported
		r.reported = n
		return d
	}
	return 0
}
