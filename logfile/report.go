package logfile

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdahq/lambda"
)

// Defaults of a Reporter.
const (
	// DefaultReportQueue is how many finished invocations may wait for
	// the writer; past it they lose their lines (counted), so a slow disk
	// never slows a request.
	DefaultReportQueue = 8192
	// DefaultReportBatch and DefaultReportInterval bound a batch: it is
	// written once that many invocations are queued, else every interval.
	DefaultReportBatch    = 512
	DefaultReportInterval = 100 * time.Millisecond
)

// Reporter writes the platform's START, END and REPORT lines of every
// invocation, and a timeout's or crash's line before END
// (lambda.AppendPlatformLines), into the log store. It observes the
// invoker: ObserveInvocation, on the request's goroutine, is one
// non-blocking channel send of the record; a goroutine started by Open
// turns records into lines and appends them in batches.
type Reporter struct {
	Sink     lambda.LogSink
	Logger   *slog.Logger
	Queue    int           // 0: DefaultReportQueue
	Batch    int           // 0: DefaultReportBatch
	Interval time.Duration // 0: DefaultReportInterval

	ch      chan lambda.Invocation
	wake    chan struct{} // a batch is queued
	dropped atomic.Int64
	written atomic.Int64
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
}

var _ lambda.InvocationObserver = (*Reporter)(nil)

// NewReporter returns a Reporter writing to sink with the defaults.
func NewReporter(sink lambda.LogSink, logger *slog.Logger) *Reporter {
	if logger == nil {
		logger = slog.Default()
	}
	return &Reporter{Sink: sink, Logger: logger, Queue: DefaultReportQueue, Batch: DefaultReportBatch, Interval: DefaultReportInterval}
}

func (r *Reporter) init() {
	r.once.Do(func() {
		r.ch = make(chan lambda.Invocation, cmpOr(r.Queue, DefaultReportQueue))
		r.wake = make(chan struct{}, 1)
	})
}

func cmpOr[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// ObserveInvocation implements lambda.InvocationObserver: it queues a
// copy of inv, or counts it as dropped when the queue is full.
func (r *Reporter) ObserveInvocation(inv *lambda.Invocation) {
	if !lambda.HasPlatformLines(inv) {
		return
	}
	r.init()
	select {
	case r.ch <- *inv:
		// Only a batch wakes the writer, else its interval does: a send
		// to a writer waiting on the queue would make it runnable, a
		// goroutine switch and often a thread's wake-up per request.
		if len(r.ch) >= min(cmpOr(r.Batch, DefaultReportBatch), max(cap(r.ch)/2, 1)) {
			select {
			case r.wake <- struct{}{}:
			default:
			}
		}
	default:
		r.dropped.Add(1)
	}
}

// Dropped is how many invocations lost their lines to a full queue.
func (r *Reporter) Dropped() int64 { return r.dropped.Load() }

// Written is how many invocations had their lines appended.
func (r *Reporter) Written() int64 { return r.written.Load() }

// Open starts the writer.
func (r *Reporter) Open(ctx context.Context) error {
	r.init()
	if r.done != nil {
		return fmt.Errorf("the invocation reporter is open already")
	}
	ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	r.done = make(chan struct{})
	go r.run(ctx)
	return nil
}

// Close writes what is queued and stops the writer, waiting for it until
// ctx ends.
func (r *Reporter) Close(ctx context.Context) error {
	if r.done == nil {
		return nil
	}
	r.cancel()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("invocation reporter: still writing at shutdown: %w", ctx.Err())
	}
}

func (r *Reporter) run(ctx context.Context) {
	defer close(r.done)
	batch := cmpOr(r.Batch, DefaultReportBatch)
	lines := make([]lambda.LogLine, 0, 3*batch)
	n := 0
	var reportedDrops int64
	flush := func() {
		if n == 0 {
			return
		}
		// The store's own writes are bounded; the context only lets a
		// shutdown past its wait give up on the last batch.
		// One append per function, not one per change of function.
		slices.SortStableFunc(lines, func(a, b lambda.LogLine) int { return strings.Compare(a.Function, b.Function) })
		if err := r.Sink.Append(context.WithoutCancel(ctx), lines); err != nil {
			r.Logger.Warn("cannot store the START, END and REPORT lines of invocations", "invocations", n, "err", err)
		} else {
			r.written.Add(int64(n))
		}
		lines, n = lines[:0], 0
		if d := r.dropped.Load(); d > reportedDrops {
			r.Logger.Warn("invocations finished faster than their START, END and REPORT lines could be stored; their lines were dropped", "dropped", d-reportedDrops, "dropped_total", d)
			reportedDrops = d
		}
	}
	add := func(inv *lambda.Invocation) {
		lines = lambda.AppendPlatformLines(lines, inv)
		if n++; n >= batch {
			flush()
		}
	}
	// drain takes what is queued; add writes each full batch.
	drain := func() {
		for {
			select {
			case inv := <-r.ch:
				add(&inv)
			default:
				return
			}
		}
	}
	t := time.NewTicker(cmpOr(r.Interval, DefaultReportInterval))
	defer t.Stop()
	for {
		select {
		case <-r.wake:
			drain()
		case <-t.C:
			drain()
			flush()
		case <-ctx.Done():
			drain()
			flush()
			return
		}
	}
}
