package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/prometheus"
)

// recorder notes what fake components do, in order.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) note(e string) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// fakeComponent records its open and close; openErr fails its open and
// closeErr its close.
func fakeComponent(r *recorder, name string, openErr, closeErr error) component {
	return component{
		name: name,
		open: func(context.Context) error {
			r.note("open " + name)
			return openErr
		},
		close: func(context.Context) error {
			r.note("close " + name)
			return closeErr
		},
	}
}

func TestLifecycle(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name       string
		components func(r *recorder) []component
		wantOpen   error
		wantEvents []string
		wantClose  string // in the close error; "" for none
	}{
		{
			name: "opened in order, closed in reverse",
			components: func(r *recorder) []component {
				return []component{fakeComponent(r, "db", nil, nil), fakeComponent(r, "engine", nil, nil), fakeComponent(r, "http", nil, nil)}
			},
			wantEvents: []string{"open db", "open engine", "open http", "close http", "close engine", "close db"},
		},
		{
			name: "a failed open closes what was opened, in reverse, and opens nothing after",
			components: func(r *recorder) []component {
				return []component{fakeComponent(r, "db", nil, nil), fakeComponent(r, "driver", nil, nil), fakeComponent(r, "engine", boom, nil), fakeComponent(r, "http", nil, nil)}
			},
			wantOpen:   boom,
			wantEvents: []string{"open db", "open driver", "open engine", "close driver", "close db"},
		},
		{
			name: "a failed close does not stop the others and is named",
			components: func(r *recorder) []component {
				return []component{fakeComponent(r, "db", nil, nil), fakeComponent(r, "engine", nil, boom), fakeComponent(r, "http", nil, nil)}
			},
			wantEvents: []string{"open db", "open engine", "open http", "close http", "close engine", "close db"},
			wantClose:  "close the engine: boom",
		},
		{
			name: "parts without an open or a close",
			components: func(r *recorder) []component {
				return []component{{name: "keys", open: func(context.Context) error { r.note("open keys"); return nil }}, {name: "clean-up", close: func(context.Context) error { r.note("close clean-up"); return nil }}}
			},
			wantEvents: []string{"open keys", "close clean-up"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			var l lifecycle
			err := l.open(context.Background(), tt.components(r)...)
			if !errors.Is(err, tt.wantOpen) || (tt.wantOpen == nil) != (err == nil) {
				t.Fatalf("open: %v, want %v", err, tt.wantOpen)
			}
			// Closing after a failed open closes nothing twice; closing
			// twice, or from two goroutines, closes each part once.
			var wg sync.WaitGroup
			errs := make([]error, 3)
			for i := range errs {
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = l.close(context.Background()) }()
			}
			wg.Wait()
			if tt.wantOpen == nil {
				for _, err := range errs {
					if tt.wantClose == "" && err != nil || tt.wantClose != "" && (err == nil || !strings.Contains(err.Error(), tt.wantClose)) {
						t.Errorf("close: %v, want %q", err, tt.wantClose)
					}
				}
			}
			if got := r.got(); !slices.Equal(got, tt.wantEvents) {
				t.Errorf("events\n got %q\nwant %q", got, tt.wantEvents)
			}
		})
	}
}

// Close gives each part what is left of its context: a part that does
// not stop in time does not hold the caller past it, and a second close
// does not wait longer either.
func TestLifecycleCloseIsBounded(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var l lifecycle
	stuck := component{name: "stuck", close: func(ctx context.Context) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	hung := component{name: "hung", close: func(context.Context) error { <-release; return nil }}
	if err := l.open(context.Background(), stuck, hung); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		start := time.Now()
		err := l.close(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Errorf("close %d with a part that never stops: %v after %s, want a deadline error at the deadline", i+1, err, time.Since(start))
		}
	}
}

// The platform's parts, in the order they open: each after what it uses.
func TestPlatformComponentOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts platformOptions
		want []string
	}{
		{"server", platformOptions{scheduler: true}, []string{"database", "stats", "invocation history", "keys", "log store", "invocation reports", "Docker driver", "engine", "webhooks", "queue of asynchronous invocations", "HTTP server", "scheduler"}},
		{"bench", platformOptions{beforeEngineClose: func(context.Context) error { return nil }}, []string{"database", "stats", "invocation history", "keys", "log store", "invocation reports", "Docker driver", "engine", "clean-up", "webhooks", "queue of asynchronous invocations", "HTTP server"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.dataDir = t.TempDir()
			tc.opts.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			p, err := newPlatform(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range p.components(tc.opts) {
				got = append(got, c.name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("components\n got %q\nwant %q", got, tc.want)
			}
			if (p.sched != nil) != tc.opts.scheduler {
				t.Errorf("scheduler built: %v, want %v", p.sched != nil, tc.opts.scheduler)
			}
			// The server's submissions go through the metrics (a full
			// queue's 429 is a throttle) to the platform's queue.
			async := prometheus.AsyncService{AsyncService: p.queue, Metrics: p.metrics}
			if p.srv.Async != async || p.srv.Invoker != p.invoker || p.invoker.Jobs != p.jobs {
				t.Error("the HTTP server does not use the platform's queue and invoker, or the invoker not its job store")
			}
			if !slices.Contains(p.invoker.Observers, lambda.InvocationObserver(p.metrics)) || p.eng.DeployObserver != p.metrics || p.srv.Metrics == nil {
				t.Error("the metrics do not observe the invoker's invocations and the engine's deploys, or /metrics does not serve them")
			}
		})
	}
}

// The parts open and close for real (no Docker needed: the driver only
// warns when Docker is away, as a server started before Docker does):
// the database is usable while open and closed after, and closing twice
// is harmless.
func TestPlatformOpensAndClosesOnce(t *testing.T) {
	dir := t.TempDir()
	p, err := openPlatform(context.Background(), platformOptions{
		dataDir: dir, addr: "127.0.0.1:0", domain: "localhost", scheduler: true,
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.srv.Port() == 0 {
		t.Error("the HTTP server is not listening")
	}
	if err := p.db.Ping(context.Background()); err != nil {
		t.Errorf("database while open: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.close(ctx); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := p.close(ctx); err != nil {
		t.Errorf("second close: %v", err)
	}
	if err := p.db.Ping(context.Background()); err == nil {
		t.Error("the database still answers after close")
	}
}

// A part that fails to open (the port is taken) closes the ones opened
// before it: the database no longer answers, and the error says why.
func TestPlatformFailedOpenClosesTheRest(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	o := platformOptions{
		dataDir: t.TempDir(), addr: taken.Addr().String(), domain: "localhost", scheduler: true,
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	p, err := newPlatform(o)
	if err != nil {
		t.Fatal(err)
	}
	err = p.life.open(context.Background(), p.components(o)...)
	if err == nil || !strings.Contains(err.Error(), "listen on "+o.addr) {
		t.Fatalf("open on a taken port: %v, want the listen error", err)
	}
	if err := p.db.Ping(context.Background()); err == nil {
		t.Error("the database still answers after a failed open")
	}
}
