package logfile_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/logfile"
)

// heapGrowth runs fn and returns how much the live heap grew, with what
// fn left reachable (followers' queues) counted.
func heapGrowth(fn func()) int64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}

// appendLines appends n lines of msg in batches, as a collector does.
func appendLines(t *testing.T, s *logfile.Store, n int, msg string) {
	t.Helper()
	ctx := context.Background()
	batch := make([]lambda.LogLine, 0, 256)
	for i := range n {
		l := line("fn", i, "")
		l.Message = msg
		batch = append(batch, l)
		if len(batch) == cap(batch) || i == n-1 {
			if err := s.Append(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// A follower that never reads costs a bounded amount of memory however
// short the lines: the bound counts what a queued line takes, not only
// its message (a flood of one-character lines queued 4 M lines of about
// 150 bytes each, some 600 MB, behind one stalled `lambda logs -f`).
func TestStalledFollowerOfTinyLinesStaysBounded(t *testing.T) {
	s := open(t, t.TempDir(), func(s *logfile.Store) { s.MaxBytes = 8 << 20 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var grew int64
	grew = heapGrowth(func() {
		if _, err := s.Follow(ctx, lambda.LogFilter{Function: "fn"}); err != nil {
			t.Fatal(err)
		}
		appendLines(t, s, 400_000, "f")
	})
	t.Logf("one stalled follower of 400,000 one-byte lines holds %d MB", grew>>20)
	if grew > 24<<20 {
		t.Errorf("one stalled follower of 400,000 one-byte lines holds %d MB, want a few", grew>>20)
	}
}

// Many followers that never read cost a bounded amount of memory all
// together, not each a buffer: 100 stalled `lambda logs -f` (or clients
// that connect and never read) must not hold 100 × 4 MB of lines.
func TestManyStalledFollowersStayBounded(t *testing.T) {
	s := open(t, t.TempDir(), func(s *logfile.Store) { s.MaxBytes = 8 << 20 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	goroutines := runtime.NumGoroutine()
	grew := heapGrowth(func() {
		for range 100 {
			if _, err := s.Follow(ctx, lambda.LogFilter{Function: "fn"}); err != nil {
				t.Fatal(err)
			}
		}
		big := strings.Repeat("y", 64<<10)
		for i := range 400 { // 25 MB of distinct lines, as a function prints them
			appendLines(t, s, 1, strings.Clone(big[:len(big)-i]))
		}
	})
	t.Logf("100 stalled followers hold %d MB", grew>>20)
	if grew > 96<<20 {
		t.Errorf("100 stalled followers hold %d MB, want a bound of all of them", grew>>20)
	}
	// Once they are gone, what they held is free: a reader that reads
	// loses nothing.
	cancel()
	settle(t, goroutines)
	rctx, rcancel := context.WithCancel(context.Background())
	defer rcancel()
	ch, err := s.Follow(rctx, lambda.LogFilter{Function: "fn", Tail: 1})
	if err != nil {
		t.Fatal(err)
	}
	<-ch // the history's last line
	appendLines(t, s, 1, "after")
	select {
	case l := <-ch:
		if l.Message != "after" {
			t.Errorf("a reader that reads got %+v, want the line after", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no line within 5 s")
	}
}
