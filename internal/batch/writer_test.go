package batch

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// batches records what write was given, copied (the slice is reused).
type batches struct {
	mu  sync.Mutex
	got [][]int
}

func (b *batches) write(vs []int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, slices.Clone(vs))
}

func (b *batches) all() [][]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.got)
}

func (b *batches) waitFor(t *testing.T, n int) [][]int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := b.all()
		total := 0
		for _, g := range got {
			total += len(g)
		}
		if total >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d values written within 10 s, want %d: %v", total, n, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWriter(t *testing.T) {
	tests := []struct {
		name         string
		queue, batch int
		interval     time.Duration
		offer        int
		want         [][]int // the batches, once offer values are written
	}{
		{"full batches wake the writer", 16, 3, time.Hour, 6, [][]int{{0, 1, 2}, {3, 4, 5}}},
		{"the interval writes what waits", 16, 10, 20 * time.Millisecond, 2, [][]int{{0, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := New[int](tt.queue, tt.batch, tt.interval)
			b := &batches{}
			if err := w.Start(b.write, nil); err != nil {
				t.Fatal(err)
			}
			defer w.Stop(context.Background())
			for i := range tt.offer {
				if !w.Offer(&i) {
					t.Fatalf("Offer(%d) refused", i)
				}
			}
			if got := b.waitFor(t, tt.offer); !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("batches %v, want %v", got, tt.want)
			}
		})
	}
}

// Fewer values than a batch wait for the interval: an offer does not wake
// the writer each time.
func TestWriterWaitsForABatch(t *testing.T) {
	w := New[int](16, 4, time.Hour)
	b := &batches{}
	if err := w.Start(b.write, nil); err != nil {
		t.Fatal(err)
	}
	defer w.Stop(context.Background())
	for i := range 3 {
		w.Offer(&i)
	}
	time.Sleep(30 * time.Millisecond)
	if got := b.all(); len(got) != 0 {
		t.Fatalf("written before a batch or the interval: %v", got)
	}
	four := 3
	w.Offer(&four)
	b.waitFor(t, 4)
}

// A full queue refuses without blocking; Stop writes what was queued,
// offered before Start too, and calls tick only on the interval.
func TestWriterFullAndStop(t *testing.T) {
	w := New[int](2, 10, time.Hour)
	for i := range 2 {
		if !w.Offer(&i) {
			t.Fatalf("Offer(%d) refused with room", i)
		}
	}
	three := 2
	if w.Offer(&three) {
		t.Fatal("Offer to a full queue accepted")
	}
	b := &batches{}
	ticks := 0
	if err := w.Start(b.write, func() { ticks++ }); err != nil {
		t.Fatal(err)
	}
	if err := w.Start(b.write, nil); err == nil {
		t.Error("a second Start did not fail")
	}
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := b.all(); !slices.EqualFunc(got, [][]int{{0, 1}}, slices.Equal) {
		t.Errorf("written at Stop: %v, want [[0 1]]", got)
	}
	if ticks != 0 {
		t.Errorf("tick called %d times within an hour's interval", ticks)
	}
	select {
	case <-w.Done():
	default:
		t.Error("Done not closed after Stop")
	}
}

// Stop gives up when its context ends while a write is stuck.
func TestWriterStopBounded(t *testing.T) {
	w := New[int](4, 1, time.Hour)
	release := make(chan struct{})
	if err := w.Start(func([]int) { <-release }, nil); err != nil {
		t.Fatal(err)
	}
	one := 1
	w.Offer(&one)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Stop(ctx); err == nil {
		t.Error("Stop returned nil with a write stuck")
	}
	close(release)
	select {
	case <-w.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the writer did not end once its write returned")
	}
}

// A queue smaller than two batches wakes the writer half full, so that it
// takes what waits (into its batch) before the queue refuses any.
func TestWriterSmallQueue(t *testing.T) {
	w := New[int](4, 10, time.Hour)
	b := &batches{}
	if err := w.Start(b.write, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		if !w.Offer(&i) {
			t.Fatalf("Offer(%d) refused", i)
		}
		deadline := time.Now().Add(10 * time.Second)
		for w.Len() >= 2 {
			if time.Now().After(deadline) {
				t.Fatalf("the writer did not take a half-full queue within 10 s")
			}
			time.Sleep(time.Millisecond)
		}
	}
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := b.all(); !slices.EqualFunc(got, [][]int{{0, 1, 2, 3, 4, 5, 6, 7}}, slices.Equal) {
		t.Errorf("batches %v, want one of 8 at Stop", got)
	}
}

// A Writer never started stops at once.
func TestWriterStopUnstarted(t *testing.T) {
	if err := New[int](1, 1, time.Second).Stop(context.Background()); err != nil {
		t.Error(err)
	}
}
