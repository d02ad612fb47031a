package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counter is a Function that counts its lifecycle calls. Its workers
// answer with their number and fail if two invocations share one.
type counter struct {
	inits, workers, stops, closes atomic.Int32
	initErr                       error
	workerErrs                    int32 // NewWorker fails this many times first
	stopErr                       error
	run                           func(ctx context.Context, event json.RawMessage) error
	events                        []string // lifecycle events in order
	mu                            sync.Mutex
}

func (c *counter) note(s string) {
	c.mu.Lock()
	c.events = append(c.events, s)
	c.mu.Unlock()
}

func (c *counter) Init(context.Context) error {
	c.inits.Add(1)
	return c.initErr
}

func (c *counter) NewWorker(context.Context) (Worker, error) {
	n := c.workers.Add(1)
	if n <= c.workerErrs {
		return nil, &myError{fmt.Sprintf("worker %d failed", n)}
	}
	return &countingWorker{fn: c, id: int(n)}, nil
}

func (c *counter) Stop(context.Context) error {
	c.stops.Add(1)
	c.note("stop")
	return c.stopErr
}

type countingWorker struct {
	fn   *counter
	id   int
	busy atomic.Bool
	runs int
}

func (w *countingWorker) Run(ctx context.Context, event json.RawMessage) (any, error) {
	if !w.busy.CompareAndSwap(false, true) {
		return nil, errors.New("worker used by two invocations at once")
	}
	defer w.busy.Store(false)
	w.runs++
	if w.fn.run != nil {
		if err := w.fn.run(ctx, event); err != nil {
			return nil, err
		}
	}
	return map[string]int{"worker": w.id, "runs": w.runs}, nil
}

func (w *countingWorker) Close() error {
	w.fn.closes.Add(1)
	w.fn.note("close")
	return nil
}

func TestWorkersAreReused(t *testing.T) {
	f := newFakeRuntime(t)
	fn := &counter{}
	serveFunction(t, f, fn)
	for i := 1; i <= 5; i++ {
		if got, want := f.invoke(t, `{}`).response(t), fmt.Sprintf(`{"runs":%d,"worker":1}`, i); got != want {
			t.Errorf("invocation %d: %s, want %s", i, got, want)
		}
	}
	if fn.inits.Load() != 1 || fn.workers.Load() != 1 {
		t.Errorf("%d Init and %d NewWorker calls, want 1 and 1", fn.inits.Load(), fn.workers.Load())
	}
}

// TestConcurrentWorkers delivers invocations concurrently: each worker
// serves one at a time, and workers are created only when none is idle.
func TestConcurrentWorkers(t *testing.T) {
	const n = 4
	f := newFakeRuntime(t)
	var mu sync.Mutex
	running, release := 0, make(chan struct{})
	fn := &counter{run: func(ctx context.Context, event json.RawMessage) error {
		if string(event) != `{"wait":true}` {
			return nil
		}
		mu.Lock()
		running++
		if running == n {
			close(release)
		}
		mu.Unlock()
		select {
		case <-release:
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("the invocations did not run concurrently")
		}
	}}
	serveFunction(t, f, fn, Concurrency(n))
	var invs []*fakeInvocation
	for range n {
		invs = append(invs, f.send(envelopeJSON(t, `{"wait":true}`, nil), 0))
	}
	for _, inv := range invs {
		inv.wait(t).response(t)
	}
	if got := fn.workers.Load(); got != n {
		t.Errorf("%d workers for %d concurrent invocations", got, n)
	}
	invs = invs[:0]
	for range 3 * n {
		invs = append(invs, f.send(envelopeJSON(t, `{}`, nil), 0))
	}
	for _, inv := range invs {
		inv.wait(t).response(t)
	}
	if got := fn.workers.Load(); got != n {
		t.Errorf("%d workers after more invocations, want still %d", got, n)
	}
}

func TestNewWorkerError(t *testing.T) {
	f := newFakeRuntime(t)
	fn := &counter{workerErrs: 1}
	serveFunction(t, f, fn)
	doc := f.invoke(t, `{}`).errorDoc(t)
	if doc.Type != "myError" || doc.Message != "cannot create a worker: worker 1 failed" {
		t.Errorf("NewWorker error: %+v", doc)
	}
	if got := f.invoke(t, `{}`).response(t); got != `{"runs":1,"worker":2}` {
		t.Errorf("after a NewWorker error: %s", got)
	}
}

func TestInitError(t *testing.T) {
	f := newFakeRuntime(t)
	fn := &counter{initErr: &myError{"cannot load the word list"}}
	r := serveFunction(t, f, fn)
	doc := f.initError(t)
	if doc.Message != "cannot load the word list" || doc.Type != "myError" {
		t.Errorf("init error %+v", doc)
	}
	if code := r.exit(t); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if f.nexts.Load() != 0 || fn.stops.Load() != 0 {
		t.Errorf("%d next calls and %d Stop calls after a failed Init", f.nexts.Load(), fn.stops.Load())
	}
	if !strings.Contains(r.stderr.String(), "initialisation failed: myError: cannot load the word list") {
		t.Errorf("stderr %q", r.stderr)
	}
}

type panickingInit struct{ counter }

func (*panickingInit) Init(context.Context) error { panic("no config") }

func TestInitPanic(t *testing.T) {
	f := newFakeRuntime(t)
	r := serveFunction(t, f, &panickingInit{})
	if doc := f.initError(t); doc.Message != "no config" || doc.Type != "string" || len(doc.StackTrace) == 0 {
		t.Errorf("init error %+v", doc)
	}
	if code := r.exit(t); code != 2 {
		t.Errorf("exit status %d, want 2", code)
	}
}

// TestBadHandlerIsAnInitError: a handler of the wrong shape is reported
// before serving.
func TestBadHandlerIsAnInitError(t *testing.T) {
	f := newFakeRuntime(t)
	r := serveHandler(t, f, func(a, b, c int) {})
	if doc := f.initError(t); !strings.Contains(doc.Message, "takes 3 arguments") {
		t.Errorf("init error %+v", doc)
	}
	if code := r.exit(t); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	f2 := newFakeRuntime(t)
	r = serveFunction(t, f2, nil)
	if doc := f2.initError(t); !strings.Contains(doc.Message, "needs a Function") {
		t.Errorf("init error %+v", doc)
	}
	r.exit(t)
}

func TestSIGTERMStops(t *testing.T) {
	f := newFakeRuntime(t)
	started, release := make(chan struct{}), make(chan struct{})
	fn := &counter{}
	fn.run = func(ctx context.Context, event json.RawMessage) error {
		if string(event) == `{"slow":true}` {
			close(started)
			<-release
			fn.note("slow done")
		}
		return nil
	}
	r := serveFunction(t, f, fn)
	f.invoke(t, `{}`)
	slow := f.send(envelopeJSON(t, `{"slow":true}`, nil), 0)
	<-started
	r.stop()
	time.Sleep(50 * time.Millisecond) // Stop must wait for the invocation
	if fn.stops.Load() != 0 {
		t.Fatal("Stop ran while an invocation was in flight")
	}
	close(release)
	slow.wait(t).response(t)
	if code := r.exit(t); code != 0 {
		t.Errorf("exit status %d, want 0; stderr %s", code, r.stderr)
	}
	if got := strings.Join(fn.events, ","); got != "slow done,close,stop" {
		t.Errorf("events %s, want slow done,close,stop", got)
	}
}

func TestStopError(t *testing.T) {
	f := newFakeRuntime(t)
	fn := &counter{stopErr: errors.New("flush failed")}
	r := serveFunction(t, f, fn)
	f.invoke(t, `{}`)
	r.stop()
	if code := r.exit(t); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if !strings.Contains(r.stderr.String(), "Stop: flush failed") {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestSignalDuringInit(t *testing.T) {
	f := newFakeRuntime(t)
	p, r := testProcess(f, nil)
	fn := &blockingInit{}
	goRun(t, r, func() int { return p.run(fn, nil) })
	r.stop()
	if code := r.exit(t); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
}

type blockingInit struct{ counter }

func (*blockingInit) Init(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}
