package drivertest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// follower collects what FollowLogs emits.
type follower struct {
	mu    sync.Mutex
	lines []lambda.LogLine
	done  chan error
}

func (s *suite) follow(ctx context.Context, id string, since time.Time) *follower {
	f := &follower{done: make(chan error, 1)}
	go func() {
		f.done <- s.d.FollowLogs(ctx, id, since, func(b []lambda.LogLine) {
			f.mu.Lock()
			f.lines = append(f.lines, b...)
			f.mu.Unlock()
		})
	}()
	return f
}

func (f *follower) find(text string) (lambda.LogLine, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range f.lines {
		if strings.Contains(l.Message, text) {
			return l, true
		}
	}
	return lambda.LogLine{}, false
}

func (s *suite) testFollowLogs(t *testing.T) {
	ctx := testContext(t)
	inst := s.start(t, s.imageID, "follow", nil)
	all := s.follow(ctx, inst.ID, time.Time{})
	var first lambda.LogLine
	eventually(t, "the start line from FollowLogs", func() bool {
		var ok bool
		first, ok = all.find(StartLine)
		return ok
	})
	if first.Stream != lambda.StreamStdout || time.Since(first.Time) > time.Minute || strings.HasSuffix(first.Message, "\n") {
		t.Errorf("start line: %+v; want stdout, a recent time, no newline", first)
	}

	// A line printed while following arrives while the follow is open
	// (no bound in seconds: Swarm's service logs cross the manager, and
	// a loaded machine took over a second).
	sctx, cancel := context.WithCancel(ctx)
	later := s.follow(sctx, inst.ID, first.Time.Add(time.Millisecond))
	s.get(t, inst.Addr, "/followed")
	eventually(t, "a line printed while following, in the follow", func() bool {
		_, ok := all.find("request GET /followed")
		return ok
	})
	eventually(t, "the line in a follow from since", func() bool {
		_, ok := later.find("request GET /followed")
		return ok
	})
	if _, ok := later.find(StartLine); ok {
		t.Error("a follow from since got a line written before since")
	}
	cancel()
	select {
	case err := <-later.done:
		if err == nil || ctx.Err() != nil {
			t.Errorf("FollowLogs after its ctx ended returned %v, want the context's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("FollowLogs did not return after its ctx ended")
	}

	// Stopping the container ends the follow.
	if err := s.d.StopInstance(ctx, inst.ID, time.Second); err != nil {
		t.Fatalf("StopInstance: %v", err)
	}
	select {
	case err := <-all.done:
		if err != nil {
			t.Errorf("FollowLogs of a stopped instance returned %v, want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("FollowLogs did not return after the instance stopped")
	}
	err := s.d.FollowLogs(ctx, strings.Repeat("0", 64), time.Time{}, func([]lambda.LogLine) {})
	wantCode(t, "FollowLogs of a missing instance", err, lambda.ENOTFOUND)
}
