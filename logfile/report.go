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
	"github.com/lambdahq/lambda/internal/batch"
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

	w       *batch.Writer[lambda.Invocation]
	lines   []lambda.LogLine // the batch's, reused; the writer's only
	dropped atomic.Int64
	written atomic.Int64
	once    sync.Once
	// reportedDrops is how many drops were logged, by the writer.
	reportedDrops int64
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
		r.w = batch.New[lambda.Invocation](cmpOr(r.Queue, DefaultReportQueue), cmpOr(r.Batch, DefaultReportBatch), cmpOr(r.Interval, DefaultReportInterval))
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
	if !r.w.Offer(inv) {
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
	if err := r.w.Start(r.write, nil); err != nil {
		return fmt.Errorf("the invocation reporter: %w", err)
	}
	return nil
}

// Close writes what is queued and stops the writer, waiting for it until
// ctx ends.
func (r *Reporter) Close(ctx context.Context) error {
	if r.w == nil {
		return nil
	}
	if err := r.w.Stop(ctx); err != nil {
		return fmt.Errorf("invocation reporter: still writing at shutdown: %w", err)
	}
	return nil
}

// write appends a batch's lines, one append per function.
func (r *Reporter) write(invs []lambda.Invocation) {
	for i := range invs {
		r.lines = lambda.AppendPlatformLines(r.lines, &invs[i])
	}
	// One append per function, not one per change of function (most
	// batches under load are one function's: checked before sorting).
	byFunction := func(a, b lambda.LogLine) int { return strings.Compare(a.Function, b.Function) }
	if !slices.IsSortedFunc(r.lines, byFunction) {
		slices.SortStableFunc(r.lines, byFunction)
	}
	// The store's own writes are bounded: no context ends them.
	if err := r.Sink.Append(context.Background(), r.lines); err != nil {
		r.Logger.Warn("cannot store the START, END and REPORT lines of invocations", "invocations", len(invs), "err", err)
	} else {
		r.written.Add(int64(len(invs)))
	}
	clear(r.lines) // no messages kept alive until overwritten
	r.lines = r.lines[:0]
	if d := r.dropped.Load(); d > r.reportedDrops {
		r.Logger.Warn("invocations finished faster than their START, END and REPORT lines could be stored; their lines were dropped", "dropped", d-r.reportedDrops, "dropped_total", d)
		r.reportedDrops = d
	}
}
