package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer answers 200 "ok", counting requests and the most seen at
// once; every failEvery-th request (0: none) gets a 500.
type countingServer struct {
	*httptest.Server
	requests, inflight, peak atomic.Int64
	failEvery                int64
	delay                    time.Duration
	mu                       sync.Mutex
	hosts, bodies            map[string]int
}

func newCountingServer(t *testing.T, failEvery int64, delay time.Duration) *countingServer {
	s := &countingServer{failEvery: failEvery, delay: delay, hosts: map[string]int{}, bodies: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.requests.Add(1)
		cur := s.inflight.Add(1)
		defer s.inflight.Add(-1)
		for p := s.peak.Load(); cur > p && !s.peak.CompareAndSwap(p, cur); p = s.peak.Load() {
		}
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.hosts[r.Host]++
		s.bodies[r.Method+" "+string(body)]++
		s.mu.Unlock()
		time.Sleep(s.delay)
		if s.failEvery > 0 && n%s.failEvery == 0 {
			http.Error(w, "failed on purpose", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s
}

func TestLoadCount(t *testing.T) {
	for _, c := range []int{1, 3, 8} {
		t.Run(fmt.Sprint("concurrency ", c), func(t *testing.T) {
			s := newCountingServer(t, 0, time.Millisecond)
			tr := NewTransport(c)
			defer tr.CloseIdleConnections()
			res, err := Load{Loop: Loop{Concurrency: c, Requests: 50}, Transport: tr}.Run(context.Background(), Endpoint{URL: s.URL + "/x", Host: "fn.localhost"})
			if err != nil {
				t.Fatal(err)
			}
			if res.OK != 50 || res.Failed != 0 || s.requests.Load() != 50 || res.Latency.Count() != 50 {
				t.Errorf("ok %d failed %d served %d latencies %d; want exactly 50 of each", res.OK, res.Failed, s.requests.Load(), res.Latency.Count())
			}
			if p := s.peak.Load(); p > int64(c) || (c > 1 && p < 2) {
				t.Errorf("peak concurrency %d, want at most %d (and some overlap)", p, c)
			}
			if s.hosts["fn.localhost"] != 50 {
				t.Errorf("hosts seen %v, want fn.localhost on every request", s.hosts)
			}
			if res.Latency.Percentile(50) < time.Millisecond || res.RPS() <= 0 {
				t.Errorf("p50 %v, rps %v: the 1 ms handler delay must show", res.Latency.Percentile(50), res.RPS())
			}
		})
	}
}

func TestLoadDuration(t *testing.T) {
	s := newCountingServer(t, 0, 0)
	tr := NewTransport(4)
	defer tr.CloseIdleConnections()
	start := time.Now()
	res, err := Load{Loop: Loop{Concurrency: 4, Duration: 200 * time.Millisecond}, Transport: tr}.Run(context.Background(), Endpoint{URL: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if took < 200*time.Millisecond || took > 5*time.Second {
		t.Errorf("a 200 ms load took %v", took)
	}
	if res.OK == 0 || int64(res.OK) != s.requests.Load() {
		t.Errorf("ok %d, served %d; want equal and positive", res.OK, s.requests.Load())
	}
	if res.Elapsed < 200*time.Millisecond || res.Elapsed > took {
		t.Errorf("elapsed %v outside [200ms, %v]", res.Elapsed, took)
	}
}

func TestLoadCountsFailures(t *testing.T) {
	s := newCountingServer(t, 4, 0)
	tr := NewTransport(1)
	defer tr.CloseIdleConnections()
	res, err := Load{Loop: Loop{Concurrency: 1, Requests: 40}, Transport: tr}.Run(context.Background(), Endpoint{URL: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK != 30 || res.Failed != 10 || res.Latency.Count() != 30 || res.FirstError == nil {
		t.Errorf("ok %d failed %d latencies %d first error %v; want 30, 10, 30 and an error", res.OK, res.Failed, res.Latency.Count(), res.FirstError)
	}
}

func TestLoadAllFailing(t *testing.T) {
	s := newCountingServer(t, 1, 0)
	tr := NewTransport(2)
	defer tr.CloseIdleConnections()
	if _, err := (Load{Loop: Loop{Concurrency: 2, Requests: 5}, Transport: tr}).Run(context.Background(), Endpoint{URL: s.URL}); err == nil {
		t.Error("a load whose every request failed reported no error")
	}
	if _, err := (Load{Loop: Loop{Concurrency: 2}, Transport: tr}).Run(context.Background(), Endpoint{URL: s.URL}); err == nil {
		t.Error("a load without a count or a duration reported no error")
	}
}

func TestLoadPostsBodyEveryTime(t *testing.T) {
	s := newCountingServer(t, 0, 0)
	tr := NewTransport(3)
	defer tr.CloseIdleConnections()
	var checked atomic.Int64
	check := func(status int, body []byte) error {
		checked.Add(1)
		if status != 200 || string(body) != "ok" {
			return fmt.Errorf("status %d body %q", status, body)
		}
		return nil
	}
	res, err := Load{Loop: Loop{Concurrency: 3, Requests: 30}, Transport: tr, Check: check}.Run(context.Background(), Endpoint{URL: s.URL, Body: []byte(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK != 30 || checked.Load() != 30 {
		t.Errorf("ok %d checked %d, want 30 each", res.OK, checked.Load())
	}
	if s.bodies[`POST {"a":1}`] != 30 {
		t.Errorf("bodies seen %v, want the whole body on each of 30 POSTs", s.bodies)
	}
}

func TestLoopCheckFailure(t *testing.T) {
	calls := 0
	res, err := Loop{Concurrency: 1, Requests: 6}.Run(context.Background(), func(int) (Op, error) {
		return func(context.Context) error {
			calls++
			if calls%3 == 0 {
				return errors.New("wrong output")
			}
			return nil
		}, nil
	})
	if err != nil || res.OK != 4 || res.Failed != 2 {
		t.Errorf("ok %d failed %d err %v; want 4, 2, nil", res.OK, res.Failed, err)
	}
}

func TestLoopStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	running := make(chan struct{})
	var once sync.Once
	go func() {
		_, err := Loop{Concurrency: 2, Duration: time.Hour}.Run(ctx, func(int) (Op, error) {
			return func(context.Context) error {
				once.Do(func() { close(running) })
				time.Sleep(time.Millisecond)
				return nil
			}, nil
		})
		done <- err
	}()
	select { // cancel a load that is running, not one still starting
	case <-running:
	case <-time.After(5 * time.Second):
		t.Fatal("the load never ran an operation")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("an hour-long load did not stop when its context ended")
	}
}
