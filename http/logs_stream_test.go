package http

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// floodLogs is a LogStore whose follows send big lines as fast as the
// follower takes them, until their context ends.
type floodLogs struct {
	follows sync.WaitGroup
	sent    atomic.Int64 // bytes handed to followers
}

func (f *floodLogs) Append(context.Context, []lambda.LogLine) error { return nil }
func (f *floodLogs) Query(context.Context, lambda.LogFilter) ([]lambda.LogLine, error) {
	return nil, nil
}
func (f *floodLogs) DeleteFunction(context.Context, string) error { return nil }

func (f *floodLogs) Follow(ctx context.Context, _ lambda.LogFilter) (<-chan lambda.LogLine, error) {
	out := make(chan lambda.LogLine)
	msg := strings.Repeat("x", 32<<10)
	f.follows.Add(1)
	go func() {
		defer f.follows.Done()
		defer close(out)
		for {
			select {
			case out <- logLine(msg, "", 7):
				f.sent.Add(int64(len(msg)))
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// openFlooded opens a real server over floodLogs on a loopback port.
func openFlooded(t *testing.T) (*Server, *floodLogs) {
	t.Helper()
	s, _ := newAsyncServer(t)
	logs := &floodLogs{}
	s.Logs = logs
	s.Addr = "127.0.0.1:0"
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s, logs
}

// stalledFollower asks for a followed log and never reads past the status
// line, with a small receive buffer so that the server's writes block soon.
func stalledFollower(t *testing.T, port int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.(*net.TCPConn).SetReadBuffer(4 << 10)
	fmt.Fprintf(c, "GET /v1/functions/greet/logs?follow=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	status, err := bufio.NewReaderSize(c, 64).ReadString('\n')
	if err != nil || !strings.Contains(status, " 200 ") {
		t.Fatalf("follow answered %q, %v", status, err)
	}
	return c
}

// waitStalled waits until the flood stops moving: every follower's
// handler is blocked in a write.
func waitStalled(t *testing.T, logs *floodLogs) {
	t.Helper()
	last := int64(-1)
	for deadline := time.Now().Add(10 * time.Second); ; {
		time.Sleep(200 * time.Millisecond)
		n := logs.sent.Load()
		if n == last && n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the flood never stalled (%d bytes sent)", n)
		}
		last = n
	}
}

func waitFollowsEnded(t *testing.T, logs *floodLogs, within time.Duration, what string) {
	t.Helper()
	ended := make(chan struct{})
	go func() { logs.follows.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(within):
		t.Fatalf("%s: the server still follows after %s", what, within)
	}
}

// A follower that never reads must not hold the server's shutdown: its
// handler, stuck in a write, is cut when the server stops.
func TestLogsStalledFollowersDoNotHoldShutdown(t *testing.T) {
	s, logs := openFlooded(t)
	before := runtime.NumGoroutine()
	for range 3 {
		stalledFollower(t, s.Port())
	}
	waitStalled(t, logs)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Close(ctx); err != nil {
		t.Errorf("Close: %v after %s", err, time.Since(start).Round(time.Millisecond))
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %s with stalled followers, want at once", d)
	}
	waitFollowsEnded(t, logs, 5*time.Second, "after Close")
	waitGoroutines(t, before)
}

// A follower that cannot take a line within streamWriteTimeout is cut,
// server stop or not: it holds no handler and no follow.
func TestLogsStalledFollowerIsCut(t *testing.T) {
	setStreamWriteTimeout(t, 300*time.Millisecond)
	s, logs := openFlooded(t)
	before := runtime.NumGoroutine()
	stalledFollower(t, s.Port())
	waitFollowsEnded(t, logs, 10*time.Second, "a follower that never reads")
	// Its handler and connection are gone too, with no server stop.
	waitGoroutines(t, before)
}

// A reading follower is not cut, however long it follows.
func TestLogsFollowerThatReadsIsNotCut(t *testing.T) {
	// Long enough that a reader slowed down by a loaded machine (-race,
	// two cores) takes each line within it: a second cut one in CI.
	setStreamWriteTimeout(t, 3*time.Second)
	s, logs := openFlooded(t)
	ctx, cancel := context.WithCancel(context.Background())
	c := NewClient(fmt.Sprintf("http://127.0.0.1:%d", s.Port()))
	var got atomic.Int64
	done := make(chan error, 1)
	go func() {
		done <- c.FollowLogs(ctx, "greet", LogQuery{}, func(l lambda.LogLine) error {
			got.Add(1)
			return nil
		})
	}()
	time.Sleep(2 * streamWriteTimeout)
	select {
	case err := <-done:
		t.Fatalf("a reading follower ended: %v after %d lines", err, got.Load())
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("FollowLogs: %v", err)
	}
	if got.Load() == 0 {
		t.Error("no line followed")
	}
	waitFollowsEnded(t, logs, 5*time.Second, "after the client went away")
}

// The stop of the server ends a reading follower with whole lines only:
// the client is told the server went away, never handed a cut line.
func TestLogsFollowerThatReadsEndsCleanlyAtClose(t *testing.T) {
	s, logs := openFlooded(t)
	c := NewClient(fmt.Sprintf("http://127.0.0.1:%d", s.Port()))
	started := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- c.FollowLogs(context.Background(), "greet", LogQuery{}, func(lambda.LogLine) error {
			once.Do(func() { close(started) })
			return nil
		})
	}()
	<-started
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err == nil || strings.Contains(err.Error(), "decode") {
			t.Errorf("FollowLogs at Close: %v, want the server went away", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the follow did not end at Close")
	}
	waitFollowsEnded(t, logs, 5*time.Second, "after Close")
}

func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before the follows:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// setStreamWriteTimeout sets streamWriteTimeout for one test and puts it
// back in a cleanup registered before the test's server is opened, so
// that it runs after the server's Close: a handler still running when the
// test function returns reads the variable, and a deferred restore would
// race with it.
func setStreamWriteTimeout(t *testing.T, d time.Duration) {
	old := streamWriteTimeout
	t.Cleanup(func() { streamWriteTimeout = old })
	streamWriteTimeout = d
}
