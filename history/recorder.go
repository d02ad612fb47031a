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

	queue   atomic.Pointer[chan lambda.Invocation]
	wake    chan struct{} // a batch is queued
	wakeAt  int           // queued records that wake the writer
	dropped atomic.Int64  // records the queue had no room for, or whose write failed
	written atomic.Int64
	cancel  context.CancelFunc
	done    chan struct{}
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
	if r.done != nil {
		return errors.New("history: the recorder is already open")
	}
	q := make(chan lambda.Invocation, max(r.QueueSize, 1))
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	r.wake, r.wakeAt = make(chan struct{}, 1), min(max(r.BatchSize, 1), max(cap(q)/2, 1))
	r.queue.Store(&q)
	go r.run(ctx, q)
	return nil
}

// Close stops the writer once it has written what was queued (a last write
// bounded by WriteTimeout), or when ctx ends. Records observed after Close
// are dropped.
func (r *Recorder) Close(ctx context.Context) error {
	if r.done == nil {
		return nil
	}
	r.cancel()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("history: the last invocation records were not written in time: %w", ctx.Err())
	}
}

// ObserveInvocation queues a copy of a synchronous invocation's record.
func (r *Recorder) ObserveInvocation(inv *lambda.Invocation) {
	if !inv.Trigger.Sync() {
		return
	}
	q := r.queue.Load()
	if q == nil {
		r.dropped.Add(1)
		return
	}
	select {
	case *q <- *inv:
		// Only a batch wakes the writer, else its tick does: a send to a
		// writer waiting on the queue would make it runnable, a goroutine
		// switch and often a thread's wake-up per request.
		if len(*q) >= r.wakeAt {
			select {
			case r.wake <- struct{}{}:
			default:
			}
		}
	default:
		r.dropped.Add(1)
	}
}

// Dropped returns how many records were lost: no room in the queue (the
// store fell behind), or a failed write.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Written returns how many records were handed to the store.
func (r *Recorder) Written() int64 { return r.written.Load() }

func (r *Recorder) run(ctx context.Context, q chan lambda.Invocation) {
	defer close(r.done)
	size := max(r.BatchSize, 1)
	interval := r.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	batch := make([]*lambda.Invocation, 0, size)
	var (
		reported   int64
		reportedAt time.Time
	)
	// drain takes what is queued, writing each full batch.
	drain := func() {
		for {
			select {
			case inv := <-q:
				batch = append(batch, &inv)
				if len(batch) == size {
					batch = r.write(batch)
				}
			default:
				return
			}
		}
	}
	for {
		select {
		case <-r.wake:
			drain()
		case <-tick.C:
			drain()
			if len(batch) > 0 {
				batch = r.write(batch)
			}
			// Drops come in floods: one line per dropReportInterval.
			if now := time.Now(); now.Sub(reportedAt) >= dropReportInterval {
				if n := r.reportDrops(reported); n != reported {
					reported, reportedAt = n, now
				}
			}
		case <-ctx.Done():
			// What was queued before Close, bounded: a record observed
			// meanwhile may be taken too, never waited for.
			for n := len(q); n > 0; n-- {
				batch = append(batch, ptr(<-q))
				if len(batch) == size {
					batch = r.write(batch)
				}
			}
			if len(batch) > 0 {
				r.write(batch)
			}
			r.reportDrops(reported)
			return
		}
	}
}

func ptr(inv lambda.Invocation) *lambda.Invocation { return &inv }

// write saves a batch and returns it emptied for the next.
func (r *Recorder) write(batch []*lambda.Invocation) []*lambda.Invocation {
	timeout := r.WriteTimeout
	if timeout <= 0 {
		timeout = DefaultWriteTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := r.Store.SaveInvocations(ctx, batch); err != nil {
		r.dropped.Add(int64(len(batch)))
		r.Logger.Error("invocation records were not saved: `lambda invocations` will miss them", "records", len(batch), "err", err)
	} else {
		r.written.Add(int64(len(batch)))
	}
	clear(batch)
	return batch[:0]
}

// reportDrops logs the records dropped since the last report.
func (r *Recorder) reportDrops(reported int64) int64 {
	n := r.dropped.Load()
	if n > reported {
		r.Logger.Warn("invocation records were dropped: the history writer fell behind or failed; `lambda invocations` will miss them",
			"dropped", n-reported, "dropped_total", n)
	}
	return n
}
