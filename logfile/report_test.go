package logfile

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// sinkLog records appends; block, while set, holds them.
type sinkLog struct {
	mu      sync.Mutex
	batches [][]lambda.LogLine
	block   chan struct{}
}

func (s *sinkLog) Append(ctx context.Context, lines []lambda.LogLine) error {
	if s.block != nil {
		<-s.block
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, append([]lambda.LogLine(nil), lines...))
	return nil
}

func (s *sinkLog) lines() []lambda.LogLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []lambda.LogLine
	for _, b := range s.batches {
		out = append(out, b...)
	}
	return out
}

func ranInvocation(id, fn string) *lambda.Invocation {
	return &lambda.Invocation{ID: id, Function: fn, Version: 1, Start: time.Now(), Duration: time.Millisecond, MemoryMB: 128}
}

func TestReporterWritesLinesInBatches(t *testing.T) {
	sink := &sinkLog{}
	r := NewReporter(sink, nil)
	r.Interval = time.Hour // only a full batch or Close writes
	r.Batch = 4
	if err := r.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i, fn := range []string{"a", "b", "a", "b", "a"} {
		r.ObserveInvocation(ranInvocation(string(rune('1'+i)), fn))
	}
	r.ObserveInvocation(&lambda.Invocation{ID: "throttled", Function: "a"}) // no instance: no lines
	deadline := time.Now().Add(5 * time.Second)
	for len(sink.lines()) < 12 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(sink.lines()); n != 12 {
		t.Fatalf("%d lines before Close, want the full batch's 12", n)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := sink.lines()
	if len(lines) != 15 || r.Written() != 5 || r.Dropped() != 0 {
		t.Fatalf("%d lines, %d written, %d dropped: Close must write what is queued", len(lines), r.Written(), r.Dropped())
	}
	// One append per function run: a batch is grouped by function.
	first := sink.batches[0]
	for i := 1; i < len(first); i++ {
		if first[i].Function < first[i-1].Function {
			t.Errorf("batch not grouped by function: %v then %v", first[i-1].Function, first[i].Function)
		}
	}
	for _, l := range lines {
		if l.Invocation == "throttled" {
			t.Errorf("a throttled invocation got %q", l.Message)
		}
	}
}

func TestReporterFlushesAfterInterval(t *testing.T) {
	sink := &sinkLog{}
	r := NewReporter(sink, nil)
	r.Interval = 20 * time.Millisecond
	if err := r.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	r.ObserveInvocation(ranInvocation("one", "a"))
	deadline := time.Now().Add(5 * time.Second)
	for len(sink.lines()) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(sink.lines()); n != 3 {
		t.Errorf("%d lines written of a lone invocation, want 3 within the interval", n)
	}
}

// A store that does not keep up costs the requests nothing: the queue is
// bounded, what does not fit is counted, and Close gives up at its
// context's end.
func TestReporterBoundedAndCountsDrops(t *testing.T) {
	sink := &sinkLog{block: make(chan struct{})}
	r := NewReporter(sink, nil)
	r.Queue, r.Batch, r.Interval = 4, 1, time.Millisecond
	if err := r.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range 100 {
		r.ObserveInvocation(ranInvocation(string(rune('a'+i%26)), "a"))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("100 observations took %s with the store stuck", d)
	}
	// One is being written (stuck), 4 wait: the rest are dropped.
	if d := r.Dropped(); d < 100-4-1 || d > 100-4 {
		t.Errorf("dropped %d of 100 with a queue of 4", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.Close(ctx); err == nil {
		t.Errorf("Close returned nil while the store was stuck")
	}
	close(sink.block)
	// Once the store answers, the writer ends after writing the queue.
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case <-r.w.Done():
			if n := r.Written(); n < 4 || n > 5 {
				t.Errorf("%d written after the store answered, want the queued ones", n)
			}
			return
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer did not end")
		}
	}
}

// BenchmarkReporterObserve is the request path's share: one send of the
// record into the queue (no writer runs, the queue holds them all).
func BenchmarkReporterObserve(b *testing.B) {
	r := NewReporter(&sinkLog{}, slog.New(slog.DiscardHandler))
	r.Queue = b.N + 1
	inv := ranInvocation("8f507cfc-1b2c-4697-b07a-ac58fc914c95", "greet")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r.ObserveInvocation(inv)
	}
}

// BenchmarkReporterLines is the background writer's work per invocation:
// its three lines, formatted.
func BenchmarkReporterLines(b *testing.B) {
	inv := ranInvocation("8f507cfc-1b2c-4697-b07a-ac58fc914c95", "greet")
	inv.MaxMemoryUsedMB, inv.Cold, inv.InitDuration = 31, true, 200*time.Millisecond
	b.ReportAllocs()
	for range b.N {
		_ = lambda.PlatformLines(inv)
	}
}
