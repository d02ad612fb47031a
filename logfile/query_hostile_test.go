package logfile_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/logfile"
)

// A read holds a bounded amount of the store in memory, however long the
// lines: a function's store full of 250 KB lines made each read of its
// logs decode 50 MB, and 20 reads at once took the server from 30 MB to
// 2.9 GB. A read returns the newest lines within QueryBytes, tail or not;
// so does the history of a follow.
func TestReadsOfLongLinesAreBoundedInBytes(t *testing.T) {
	s := open(t, t.TempDir(), func(s *logfile.Store) { s.MaxBytes = 64 << 20 })
	ctx := context.Background()
	long := strings.Repeat("z", 250<<10)
	for i := range 100 { // 25 MB
		l := line("fn", i, "")
		l.Message = fmt.Sprintf("%03d %s", i, long)
		if err := s.Append(ctx, []lambda.LogLine{l}); err != nil {
			t.Fatal(err)
		}
	}
	size := func(lines []lambda.LogLine) int {
		n := 0
		for _, l := range lines {
			n += len(l.Message)
		}
		return n
	}
	for _, f := range []lambda.LogFilter{{Function: "fn"}, {Function: "fn", Tail: 150}} {
		got, err := s.Query(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if n := size(got); n > logfile.DefaultQueryBytes || len(got) == 0 || !strings.HasPrefix(got[len(got)-1].Message, "099 ") {
			t.Errorf("tail %d: %d lines, %d MB; want the newest within %d MB", f.Tail, len(got), n>>20, logfile.DefaultQueryBytes>>20)
		}
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := s.Follow(fctx, lambda.LogFilter{Function: "fn"})
	if err != nil {
		t.Fatal(err)
	}
	var history []lambda.LogLine
	for {
		select {
		case l := <-ch:
			history = append(history, l)
			if strings.HasPrefix(l.Message, "099 ") {
				if n := size(history); n > logfile.DefaultQueryBytes {
					t.Errorf("a follow's history: %d MB, want at most %d", n>>20, logfile.DefaultQueryBytes>>20)
				}
				return
			}
		case <-time.After(60 * time.Second): // 25 MB to scan, under -race
			t.Fatalf("the follow's history ended after %d lines without the newest", len(history))
		}
	}
}

// A tail as big as an int can be (?tail=9223372036854775807) reads
// everything there is: 2*tail overflowed, and the read panicked (the
// API answered 500 with an empty body).
func TestHugeTailReadsEverything(t *testing.T) {
	s := open(t, t.TempDir(), nil)
	ctx := context.Background()
	var batch []lambda.LogLine
	for i := range 5 {
		batch = append(batch, line("fn", i, ""))
	}
	s.Append(ctx, batch)
	got, err := s.Query(ctx, lambda.LogFilter{Function: "fn", Tail: math.MaxInt})
	if err != nil || len(got) != 5 {
		t.Errorf("tail MaxInt: %d lines, %v; want the 5", len(got), err)
	}
}
