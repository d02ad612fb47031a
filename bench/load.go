package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"
)

// Loop is a closed-loop load: Concurrency workers each run an operation
// and start the next as soon as it returns, until Requests operations
// have run or Duration has passed (Requests wins when both are set).
type Loop struct {
	Concurrency int
	Requests    int
	Duration    time.Duration
}

// Op is one worker's operation; each worker gets its own, so it may keep
// state (a reusable request, a buffer) without locks.
type Op func(ctx context.Context) error

// Result is what a load measured.
type Result struct {
	OK, Failed int
	Elapsed    time.Duration // from the first start to the last answer
	Latency    *Recorder     // of the successful operations
	FirstError error
}

// RPS is the rate of successful operations.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Run runs the loop with the operations newOp makes, one per worker. It
// fails when the load cannot start, ctx ends, or every operation failed;
// single failures are counted.
func (l Loop) Run(ctx context.Context, newOp func(worker int) (Op, error)) (Result, error) {
	c := max(l.Concurrency, 1)
	if l.Requests <= 0 && l.Duration <= 0 {
		return Result{}, errors.New("bench: a load needs a request count or a duration")
	}
	perWorker := 1024
	if l.Requests > 0 {
		perWorker = l.Requests/c + 1
	}
	workers := make([]loopWorker, c)
	for i := range workers {
		op, err := newOp(i)
		if err != nil {
			return Result{}, err
		}
		workers[i] = loopWorker{op: op, lat: NewRecorder(perWorker)}
	}

	var left atomic.Int64 // operations not yet claimed, when counted
	left.Store(int64(l.Requests))
	var stop atomic.Bool
	// start is taken before the timer is armed, so that a timed load's
	// Elapsed is never shorter than its Duration.
	start := time.Now()
	if l.Requests <= 0 {
		timer := time.AfterFunc(l.Duration, func() { stop.Store(true) })
		defer timer.Stop()
	}
	var wg sync.WaitGroup
	for i := range workers {
		w := &workers[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The label (inherited by the connections' goroutines) lets
			// a CPU profile of an in-process bench tell the load from the
			// server under test: go tool pprof -tagignore bench=load.
			pprof.Do(ctx, loadLabels, func(ctx context.Context) {
				for ctx.Err() == nil && !stop.Load() {
					if l.Requests > 0 && left.Add(-1) < 0 {
						return
					}
					w.once(ctx)
				}
			})
		}()
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start), Latency: NewRecorder(0)}
	for i := range workers {
		w := &workers[i]
		res.OK += w.ok
		res.Failed += w.failed
		res.Latency.Merge(w.lat)
		if res.FirstError == nil {
			res.FirstError = w.err
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if res.OK == 0 {
		return res, fmt.Errorf("every operation failed: %w", res.FirstError)
	}
	return res, nil
}

var loadLabels = pprof.Labels("bench", "load")

// loopWorker is one closed loop; only its goroutine touches it until the
// load ends.
type loopWorker struct {
	op         Op
	lat        *Recorder
	ok, failed int
	err        error
}

func (w *loopWorker) once(ctx context.Context) {
	t0 := time.Now()
	if err := w.op(ctx); err != nil {
		w.failed++
		if w.err == nil {
			w.err = err
		}
		return
	}
	w.lat.Record(time.Since(t0))
	w.ok++
}

// Load is a closed-loop HTTP load on one target.
type Load struct {
	Loop
	Transport http.RoundTripper
	// Check, if set, inspects each answer's status and body (the body is
	// read into a reused buffer only then); an error fails the request.
	// Without it any 2xx status passes.
	Check func(status int, body []byte) error
}

// Run applies the load to t.
func (l Load) Run(ctx context.Context, t Endpoint) (Result, error) {
	res, err := l.Loop.Run(ctx, func(int) (Op, error) {
		r, err := t.newRequest(ctx)
		if err != nil {
			return nil, err
		}
		hc := &httpOp{rt: l.Transport, req: r, check: l.Check}
		return hc.do, nil
	})
	if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("%s: %w", t.URL, err)
	}
	return res, err
}

// httpOp sends one worker's reusable request.
type httpOp struct {
	rt    http.RoundTripper
	req   *request
	check func(status int, body []byte) error
	buf   []byte
}

func (h *httpOp) do(context.Context) error {
	resp, err := h.rt.RoundTrip(h.req.prepare())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if h.check == nil {
		_, err := io.Copy(io.Discard, resp.Body)
		if err == nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		return err
	}
	h.buf, err = appendAll(h.buf[:0], resp.Body)
	if err != nil {
		return err
	}
	return h.check(resp.StatusCode, h.buf)
}

// appendAll is io.ReadAll into a reused buffer.
func appendAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
