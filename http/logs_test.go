package http

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// memLogs is an in-memory LogStore whose follows are counted.
type memLogs struct {
	mu      sync.Mutex
	lines   []lambda.LogLine
	subs    map[chan lambda.LogLine]lambda.LogFilter
	follows sync.WaitGroup
	last    lambda.LogFilter
}

func (m *memLogs) Append(_ context.Context, lines []lambda.LogLine) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lines = append(m.lines, lines...)
	for ch, f := range m.subs {
		for _, l := range lines {
			if f.Match(&l) {
				ch <- l
			}
		}
	}
	return nil
}

func (m *memLogs) Query(_ context.Context, f lambda.LogFilter) ([]lambda.LogLine, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last = f
	var out []lambda.LogLine
	for _, l := range m.lines {
		if f.Match(&l) {
			out = append(out, l)
		}
	}
	if f.Tail > 0 && len(out) > f.Tail {
		out = out[len(out)-f.Tail:]
	}
	return out, nil
}

func (m *memLogs) Follow(ctx context.Context, f lambda.LogFilter) (<-chan lambda.LogLine, error) {
	history, _ := m.Query(ctx, f)
	in := make(chan lambda.LogLine, 100)
	m.mu.Lock()
	if m.subs == nil {
		m.subs = map[chan lambda.LogLine]lambda.LogFilter{}
	}
	m.subs[in] = f
	m.mu.Unlock()
	out := make(chan lambda.LogLine)
	m.follows.Add(1)
	go func() {
		defer m.follows.Done()
		defer close(out)
		defer func() {
			m.mu.Lock()
			delete(m.subs, in)
			m.mu.Unlock()
		}()
		for _, l := range history {
			select {
			case out <- l:
			case <-ctx.Done():
				return
			}
		}
		for {
			select {
			case l := <-in:
				select {
				case out <- l:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (m *memLogs) DeleteFunction(context.Context, string) error { return nil }

func newLogsServer(t *testing.T) (*Server, *memLogs, *Client) {
	t.Helper()
	s, _ := newAsyncServer(t)
	logs := &memLogs{}
	s.Logs = logs
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, logs, NewClient(srv.URL)
}

func logLine(msg, inv string, version int) lambda.LogLine {
	return lambda.LogLine{Time: time.Now(), Function: "greet", Version: version, Instance: "c0ffee", Stream: lambda.StreamStdout, Invocation: inv, Message: msg}
}

func TestLogsQuery(t *testing.T) {
	s, logs, c := newLogsServer(t)
	ctx := context.Background()
	logs.Append(ctx, []lambda.LogLine{logLine("one", "a", 6), logLine("two", "b", 7), logLine("three", "a", 7)})

	got, err := c.Logs(ctx, "greet", LogQuery{Invocation: "a", Tail: 1, Since: "10m", Version: 7, Instance: "c0ffee"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Message != "three" {
		t.Errorf("got %+v, want the line three", got)
	}
	if f := logs.last; f.Function != "greet" || f.Tail != 1 || f.Invocation != "a" || f.Version != 7 || f.Instance != "c0ffee" || time.Since(f.Since) < 9*time.Minute || time.Since(f.Since) > 11*time.Minute {
		t.Errorf("the store was asked %+v", f)
	}
	// until bounds the lines from above: an attempt's logs_path.
	until := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano)
	if _, err := c.Logs(ctx, "greet", LogQuery{Invocation: "a", Since: "2h", Until: until}); err == nil || lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("until an hour ago: %v, want no line (404)", err)
	}
	if f := logs.last; f.Until.Format(time.RFC3339Nano) != until || time.Since(f.Since) < 119*time.Minute {
		t.Errorf("the store was asked %+v", f)
	}
	got, err = c.Logs(ctx, "web", LogQuery{})
	if err != nil || len(got) != 0 {
		t.Errorf("a function without logs: %v, %v; want no lines", got, err)
	}

	for _, tc := range []struct {
		name, target, code string
	}{
		{"unknown function", "/v1/functions/nope/logs", lambda.ENOTFOUND},
		{"bad name", "/v1/functions/Bad_Name/logs", lambda.EINVALID},
		{"bad since", "/v1/functions/greet/logs?since=yesterday", lambda.EINVALID},
		{"negative since", "/v1/functions/greet/logs?since=-5m", lambda.EINVALID},
		{"bad until", "/v1/functions/greet/logs?until=tomorrow", lambda.EINVALID},
		{"bad tail", "/v1/functions/greet/logs?tail=-1", lambda.EINVALID},
		{"bad version", "/v1/functions/greet/logs?version=zero", lambda.EINVALID},
		{"bad follow", "/v1/functions/greet/logs?follow=maybe", lambda.EINVALID},
		{"unknown invocation", "/v1/functions/greet/logs?invocation=nope", lambda.ENOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(s, httptest.NewRequest(http.MethodGet, tc.target, nil))
			if e := errorOf(t, rec); e.Code != tc.code {
				t.Errorf("%d %s %q, want %s", rec.Code, e.Code, e.Message, tc.code)
			}
		})
	}

	s2, _ := newAsyncServer(t)
	rec := serve(s2, httptest.NewRequest(http.MethodGet, "/v1/functions/greet/logs", nil))
	if e := errorOf(t, rec); rec.Code != http.StatusNotImplemented || e.Code != lambda.ENOTIMPLEMENTED {
		t.Errorf("without a log store: %d %s", rec.Code, e.Code)
	}
}

func TestLogsFollowAndDisconnect(t *testing.T) {
	_, logs, c := newLogsServer(t)
	ctx := context.Background()
	logs.Append(ctx, []lambda.LogLine{logLine("before", "", 7)})
	before := runtime.NumGoroutine()

	fctx, cancel := context.WithCancel(ctx)
	got := make(chan lambda.LogLine, 10)
	done := make(chan error, 1)
	go func() {
		done <- c.FollowLogs(fctx, "greet", LogQuery{}, func(l lambda.LogLine) error {
			got <- l
			return nil
		})
	}()
	recv := func() lambda.LogLine {
		select {
		case l := <-got:
			return l
		case <-time.After(5 * time.Second):
			t.Fatal("no line within 5 s")
		}
		return lambda.LogLine{}
	}
	if l := recv(); l.Message != "before" {
		t.Errorf("history: %q", l.Message)
	}
	start := time.Now()
	logs.Append(ctx, []lambda.LogLine{logLine("live", "x", 7)})
	if l := recv(); l.Message != "live" || l.Invocation != "x" {
		t.Errorf("live: %+v", l)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a new line took %s to reach the client", d)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("FollowLogs after cancel: %v", err)
	}
	// The server's side ends too: its follow and handler are gone.
	waited := make(chan struct{})
	go func() { logs.follows.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Fatal("the server still follows after its client went away")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+1 { // +1: an idle keep-alive connection may linger
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before the follow:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLogsFollowEndsAtShutdown(t *testing.T) {
	s, logs, c := newLogsServer(t)
	done := make(chan error, 1)
	started := make(chan struct{})
	logs.Append(context.Background(), []lambda.LogLine{logLine("first", "", 7)})
	go func() {
		done <- c.FollowLogs(context.Background(), "greet", LogQuery{}, func(lambda.LogLine) error {
			close(started)
			return nil
		})
	}()
	<-started
	s.streams.stop()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a follow the server ended returned nil, want an error saying so")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the follow did not end at shutdown")
	}
}
