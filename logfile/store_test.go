package logfile_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/logfile"
)

func open(t *testing.T, dir string, tune func(*logfile.Store)) *logfile.Store {
	t.Helper()
	s := logfile.New(dir)
	if tune != nil {
		tune(s)
	}
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return s
}

func line(fn string, i int, inv string) lambda.LogLine {
	return lambda.LogLine{
		Time: time.Unix(1700000000, int64(i)), Function: fn, Version: 1 + i%2, Instance: "c0ffee000000" + fmt.Sprint(i%3),
		Stream: lambda.StreamStdout, Invocation: inv, Message: fmt.Sprintf("line %d", i),
	}
}

func messages(lines []lambda.LogLine) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l.Message)
	}
	return out
}

func TestQueryFilters(t *testing.T) {
	s := open(t, t.TempDir(), nil)
	ctx := context.Background()
	var batch []lambda.LogLine
	for i := range 10 {
		batch = append(batch, line("fn", i, fmt.Sprintf("inv%d", i%2)))
	}
	batch = append(batch, line("other", 99, ""))
	if err := s.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		filter lambda.LogFilter
		want   string
	}{
		{"all", lambda.LogFilter{Function: "fn"}, "line 0,line 1,line 2,line 3,line 4,line 5,line 6,line 7,line 8,line 9"},
		{"tail", lambda.LogFilter{Function: "fn", Tail: 3}, "line 7,line 8,line 9"},
		{"invocation", lambda.LogFilter{Function: "fn", Invocation: "inv1"}, "line 1,line 3,line 5,line 7,line 9"},
		{"invocation tail", lambda.LogFilter{Function: "fn", Invocation: "inv1", Tail: 2}, "line 7,line 9"},
		{"version", lambda.LogFilter{Function: "fn", Version: 1}, "line 0,line 2,line 4,line 6,line 8"},
		{"instance", lambda.LogFilter{Function: "fn", Instance: "c0ffee0000002"}, "line 2,line 5,line 8"},
		{"since", lambda.LogFilter{Function: "fn", Since: time.Unix(1700000000, 8)}, "line 8,line 9"},
		{"unknown invocation", lambda.LogFilter{Function: "fn", Invocation: "nope"}, ""},
		{"other function", lambda.LogFilter{Function: "other"}, "line 99"},
		{"no logs yet", lambda.LogFilter{Function: "empty"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Query(ctx, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if g := strings.Join(messages(got), ","); g != tc.want {
				t.Errorf("got %q, want %q", g, tc.want)
			}
		})
	}
	if _, err := s.Query(ctx, lambda.LogFilter{Function: "../etc"}); lambda.ErrorCode(err) != lambda.EINVALID {
		t.Errorf("a bad function name: %v, want EINVALID", err)
	}
}

func TestLongLineCutAndMarked(t *testing.T) {
	s := open(t, t.TempDir(), nil)
	ctx := context.Background()
	long := line("fn", 0, "")
	long.Message = strings.Repeat("é", lambda.MaxLogLine) // 2 bytes each
	if err := s.Append(ctx, []lambda.LogLine{long, line("fn", 1, "")}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Query(ctx, lambda.LogFilter{Function: "fn"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d lines, want 2", len(got))
	}
	if !got[0].Truncated || len(got[0].Message) > lambda.MaxLogLine || len(got[0].Message) < lambda.MaxLogLine-1 || !strings.HasSuffix(got[0].Message, "é") {
		t.Errorf("long line: truncated %v, %d bytes", got[0].Truncated, len(got[0].Message))
	}
	if got[1].Truncated || got[1].Message != "line 1" {
		t.Errorf("short line: %+v", got[1])
	}
}

func dirSize(t *testing.T, dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

func TestSizeCapDropsOldestFirst(t *testing.T) {
	dir := t.TempDir()
	const max = 256 << 10
	s := open(t, dir, func(s *logfile.Store) { s.MaxBytes = max })
	ctx := context.Background()
	msg := strings.Repeat("x", 1000)
	for i := range 2000 { // ~2.2 MB in all
		l := line("flood", i, "")
		l.Message = fmt.Sprintf("%06d %s", i, msg)
		if err := s.Append(ctx, []lambda.LogLine{l}); err != nil {
			t.Fatal(err)
		}
	}
	if n := dirSize(t, filepath.Join(dir, "flood")); n > max {
		t.Errorf("the function's logs take %d bytes, over the cap %d", n, max)
	}
	got, err := s.Query(ctx, lambda.LogFilter{Function: "flood"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 100 || !strings.HasPrefix(got[len(got)-1].Message, "001999 ") {
		t.Fatalf("kept %d lines, last %.8q: want the newest kept", len(got), got[len(got)-1].Message)
	}
	if strings.HasPrefix(got[0].Message, "000000 ") {
		t.Error("the oldest line is still there")
	}
}

func TestRetentionAndRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	s := logfile.New(dir)
	s.Now, s.SegmentBytes = clock, 1 // each append closes its segment
	if err := s.Open(ctx); err != nil {
		t.Fatal(err)
	}
	s.Append(ctx, []lambda.LogLine{line("fn", 0, "")})
	now = now.Add(2 * time.Hour)
	s.Append(ctx, []lambda.LogLine{line("fn", 1, "")})
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// A restarted store finds its lines; the purge at Open drops those past
	// retention, by the file's time.
	old := filepath.Join(dir, "fn", "0000000000000000.ndjson")
	os.Chtimes(old, now.Add(-2*time.Hour), now.Add(-2*time.Hour))
	newer := filepath.Join(dir, "fn", "0000000000000001.ndjson")
	os.Chtimes(newer, now, now)
	s2 := open(t, dir, func(s *logfile.Store) { s.Retention, s.Now = time.Hour, clock })
	got, err := s2.Query(ctx, lambda.LogFilter{Function: "fn"})
	if err != nil {
		t.Fatal(err)
	}
	if g := strings.Join(messages(got), ","); g != "line 1" {
		t.Errorf("after restart and retention: %q, want line 1", g)
	}
	if err := s2.Append(ctx, []lambda.LogLine{line("fn", 2, "")}); err != nil {
		t.Fatal(err)
	}
	got, _ = s2.Query(ctx, lambda.LogFilter{Function: "fn"})
	if g := strings.Join(messages(got), ","); g != "line 1,line 2" {
		t.Errorf("appended after restart: %q", g)
	}
}

// settle waits for the goroutine count to come back to at most n.
func settle(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left, want <= %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFollowHistoryThenLiveAndCancel(t *testing.T) {
	s := open(t, t.TempDir(), nil)
	ctx := context.Background()
	s.Append(ctx, []lambda.LogLine{line("fn", 0, "a"), line("fn", 1, "b"), line("fn", 2, "a")})
	before := runtime.NumGoroutine()
	fctx, cancel := context.WithCancel(ctx)
	ch, err := s.Follow(fctx, lambda.LogFilter{Function: "fn", Invocation: "a"})
	if err != nil {
		t.Fatal(err)
	}
	recv := func() string {
		select {
		case l := <-ch:
			return l.Message
		case <-time.After(5 * time.Second):
			t.Fatal("no line within 5 s")
		}
		return ""
	}
	if a, b := recv(), recv(); a != "line 0" || b != "line 2" {
		t.Errorf("history: %q %q", a, b)
	}
	start := time.Now()
	s.Append(ctx, []lambda.LogLine{line("fn", 3, "b"), line("fn", 4, "a"), line("other", 5, "a")})
	if got := recv(); got != "line 4" {
		t.Errorf("live: %q, want line 4", got)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a live line took %s", d)
	}
	cancel()
	for range ch { // closed once the follower is gone
	}
	settle(t, before)
}

func TestSlowFollowerLosesLinesNotWriters(t *testing.T) {
	s := open(t, t.TempDir(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := s.Follow(ctx, lambda.LogFilter{Function: "fn"})
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("y", 64<<10)
	start := time.Now()
	for i := range 200 { // 12.8 MB to a reader that does not read
		l := line("fn", i, "")
		l.Message = big
		if err := s.Append(ctx, []lambda.LogLine{l}); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("appends took %s with a stalled follower", d)
	}
	var dropped int64
	timeout := time.After(5 * time.Second)
	for dropped == 0 {
		select {
		case l := <-ch:
			dropped = l.Dropped
		case <-timeout:
			t.Fatal("no dropped marker")
		}
	}
	if dropped < 100 {
		t.Errorf("dropped %d lines, want most of 200", dropped)
	}
}

func TestDeleteFunctionEndsFollowers(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil)
	ctx := context.Background()
	s.Append(ctx, []lambda.LogLine{line("fn", 0, "")})
	ch, err := s.Follow(ctx, lambda.LogFilter{Function: "fn"})
	if err != nil {
		t.Fatal(err)
	}
	<-ch
	if err := s.DeleteFunction(ctx, "fn"); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-ch:
		if ok {
			t.Error("a line after delete")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the follow did not end")
	}
	if _, err := os.Stat(filepath.Join(dir, "fn")); !os.IsNotExist(err) {
		t.Errorf("the directory is still there: %v", err)
	}
	again := line("fn", 1, "")
	again.Time = time.Now().Add(time.Millisecond) // printed after the delete
	s.Append(ctx, []lambda.LogLine{again})
	got, _ := s.Query(ctx, lambda.LogFilter{Function: "fn"})
	if g := strings.Join(messages(got), ","); g != "line 1" {
		t.Errorf("a new function of the same name: %q", g)
	}
}

func TestCloseEndsFollows(t *testing.T) {
	s := logfile.New(t.TempDir())
	ctx := context.Background()
	if err := s.Open(ctx); err != nil {
		t.Fatal(err)
	}
	ch, err := s.Follow(ctx, lambda.LogFilter{Function: "fn"})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.Close(cctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-ch; ok {
		t.Error("a line after close")
	}
	if _, err := s.Follow(ctx, lambda.LogFilter{Function: "fn"}); lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
		t.Errorf("follow after close: %v", err)
	}
}
