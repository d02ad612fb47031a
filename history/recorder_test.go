package history

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// fakeStore records the batches saved; block, when set, holds every save
// until it is closed.
type fakeStore struct {
	mu      sync.Mutex
	batches [][]string
	block   chan struct{}
	fail    error
}

func (s *fakeStore) SaveInvocations(ctx context.Context, recs []*lambda.Invocation) error {
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	s.batches = append(s.batches, ids)
	return nil
}

func (s *fakeStore) ListInvocations(context.Context, lambda.JobFilter) ([]*lambda.Job, error) {
	return nil, nil
}

func (s *fakeStore) FindInvocation(context.Context, string) (*lambda.Job, error) { return nil, nil }

func (s *fakeStore) saved() (batches, records int, ids map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids = map[string]bool{}
	for _, b := range s.batches {
		records += len(b)
		for _, id := range b {
			ids[id] = true
		}
	}
	return len(s.batches), records, ids
}

func record(i int, trigger lambda.Trigger) *lambda.Invocation {
	return &lambda.Invocation{ID: fmt.Sprint(i), Function: "f", Trigger: trigger, Status: lambda.StatusSucceeded}
}

func openRecorder(t *testing.T, store *fakeStore, configure func(*Recorder)) *Recorder {
	t.Helper()
	r := New(store, slog.New(slog.DiscardHandler))
	if configure != nil {
		configure(r)
	}
	if err := r.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	return r
}

// Records are written in batches of at most BatchSize; only synchronous
// triggers are recorded; Close writes what is queued.
func TestRecorderBatchesAndFlushes(t *testing.T) {
	store := &fakeStore{}
	r := openRecorder(t, store, func(r *Recorder) { r.BatchSize, r.Interval = 50, time.Hour })
	triggers := []lambda.Trigger{lambda.TriggerHTTP, lambda.TriggerInvoke, lambda.TriggerAPI, lambda.TriggerAsync, lambda.TriggerCron}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				r.ObserveInvocation(record(g*1000+i, triggers[i%len(triggers)]))
			}
		}()
	}
	wg.Wait()
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	batches, records, ids := store.saved()
	if records != 600 || len(ids) != 600 || r.Written() != 600 || r.Dropped() != 0 {
		t.Fatalf("saved %d records (%d distinct) in %d batches, written %d, dropped %d; want the 600 synchronous ones", records, len(ids), batches, r.Written(), r.Dropped())
	}
	if batches < 12 {
		t.Errorf("600 records in %d batches: more than BatchSize in one", batches)
	}
	for _, b := range store.batches {
		if len(b) > 50 {
			t.Errorf("a batch of %d, over BatchSize", len(b))
		}
	}
	// After Close: dropped, never blocking.
	r.ObserveInvocation(record(1, lambda.TriggerHTTP))
}

// A record waits at most about Interval for its batch.
func TestRecorderWritesOnInterval(t *testing.T) {
	store := &fakeStore{}
	r := openRecorder(t, store, func(r *Recorder) { r.Interval = 10 * time.Millisecond })
	r.ObserveInvocation(record(1, lambda.TriggerHTTP))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, n, _ := store.saved(); n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a lone record was not written within 10 s of a 10 ms interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// With the store stuck, observing never blocks: what the queue cannot hold
// is dropped and counted, and Close gives up when its ctx ends.
func TestRecorderBoundedWhenStoreStuck(t *testing.T) {
	store := &fakeStore{block: make(chan struct{})}
	r := openRecorder(t, store, func(r *Recorder) { r.QueueSize, r.BatchSize, r.Interval = 10, 5, time.Millisecond })
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10_000 {
			r.ObserveInvocation(record(i, lambda.TriggerHTTP))
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("ObserveInvocation blocked behind a stuck store")
	}
	if d := r.Dropped(); d < 10_000-10-2*5 {
		t.Errorf("dropped %d of 10,000 with room for about 20", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close behind a stuck store: %v, want the deadline", err)
	}
	close(store.block) // the writer finishes; Cleanup's Close waits for it
}

// A failed write drops its batch (counted), and the writer goes on.
func TestRecorderWriteFailure(t *testing.T) {
	store := &fakeStore{fail: errors.New("disk full")}
	r := openRecorder(t, store, func(r *Recorder) { r.Interval = time.Hour })
	r.ObserveInvocation(record(1, lambda.TriggerHTTP))
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.Dropped() != 1 || r.Written() != 0 {
		t.Errorf("dropped %d, written %d", r.Dropped(), r.Written())
	}
}

func TestRecorderNotOpen(t *testing.T) {
	r := New(&fakeStore{}, nil)
	r.ObserveInvocation(record(1, lambda.TriggerHTTP))
	if r.Dropped() != 1 {
		t.Errorf("a record before Open: dropped %d", r.Dropped())
	}
	if err := r.Close(context.Background()); err != nil {
		t.Errorf("Close before Open: %v", err)
	}
}

// BenchmarkObserveInvocation is the recorder's cost on the request path:
// a copy into a buffered channel. The timer stops while the writer drains
// the queue, so that every record is queued, none dropped.
func BenchmarkObserveInvocation(b *testing.B) {
	r := New(&fakeStore{}, slog.New(slog.DiscardHandler))
	r.QueueSize = 1 << 14
	if err := r.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer r.Close(context.Background())
	w := r.writer.Load()
	inv := record(1, lambda.TriggerHTTP)
	b.ReportAllocs()
	for i := range b.N {
		if i%(1<<13) == 0 {
			b.StopTimer()
			for w.Len() > 0 {
				time.Sleep(time.Millisecond)
			}
			b.StartTimer()
		}
		r.ObserveInvocation(inv)
	}
	b.StopTimer()
	if d := r.Dropped(); d > 0 {
		b.Fatalf("dropped %d: the benchmark measured drops, not sends", d)
	}
}

// BenchmarkObserveInvocationParallel is the same from every core at once
// with the queue full: what a flood costs each request (a failed send).
func BenchmarkObserveInvocationParallel(b *testing.B) {
	r := New(&fakeStore{block: make(chan struct{})}, slog.New(slog.DiscardHandler))
	if err := r.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	inv := record(1, lambda.TriggerHTTP)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.ObserveInvocation(inv)
		}
	})
	b.StopTimer()
	close(r.Store.(*fakeStore).block)
	r.Close(context.Background())
}
