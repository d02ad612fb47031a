package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// maxResponse is the Runtime API's limit on a result.
const maxResponse = 6 << 20

// serve initialises fn, then serves invocations until a signal, a panic or
// the loss of the Runtime API, and returns the exit status.
func (p *process) serve(client *runtimeClient, fn Function, pollers int) int {
	ctx, cancelSignals := p.notify()
	defer cancelSignals()
	if code := p.initialize(ctx, client, fn); code >= 0 {
		return code
	}
	l := &loop{client: client, pool: &pool{newWorker: fn.NewWorker}, log: p.stderr, getenv: p.getenv}
	pollCtx, stopPolling := context.WithCancel(ctx)
	defer stopPolling()
	exit := make(chan int, pollers)
	var wg sync.WaitGroup
	for range pollers {
		wg.Go(func() {
			if code := l.poll(pollCtx); code >= 0 {
				exit <- code
			}
		})
	}
	code := 0
	select {
	case <-ctx.Done():
	case code = <-exit:
		if code == 2 {
			return code // a panic: the process state is suspect, Stop is not called
		}
	}
	stopPolling()
	if !waitTimeout(&wg, p.drainTimeout) {
		fmt.Fprintf(p.stderr, "lambda sdk: invocations still running after %s; stopping anyway\n", p.drainTimeout)
	}
	l.pool.close(p.stderr)
	stopCtx, cancel := context.WithTimeout(context.Background(), p.stopTimeout)
	defer cancel()
	if err := protect(func() error { return fn.Stop(stopCtx) }); err != nil {
		fmt.Fprintf(p.stderr, "lambda sdk: Stop: %v\n", err)
		code = max(code, 1)
	}
	return code
}

// initialize runs Init and returns -1 when it succeeds, else the exit
// status after reporting the failure.
func (p *process) initialize(ctx context.Context, client *runtimeClient, fn Function) int {
	err := protect(func() error { return fn.Init(ctx) })
	switch {
	case err == nil:
		return -1
	case ctx.Err() != nil:
		return 0 // stopped while initialising: nothing went wrong
	}
	return p.initFailed(client, err)
}

func (p *process) initFailed(client *runtimeClient, err error) int {
	doc, code := errorDocFor(err), 1
	if pe, ok := err.(*panicError); ok {
		doc, code = pe.doc(), 2
		fmt.Fprintf(p.stderr, "panic: %v\n\n%s", pe.value, pe.stack)
	}
	fmt.Fprintf(p.stderr, "lambda sdk: initialisation failed: %s: %s\n", doc.Type, doc.Message)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if rerr := client.initError(ctx, doc); rerr != nil {
		fmt.Fprintf(p.stderr, "lambda sdk: reporting the initialisation error: %v\n", rerr)
	}
	return code
}

// protect calls f, turning a panic into a *panicError.
func protect(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, frames: panicFrames(), stack: debug.Stack()}
		}
	}()
	return f()
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// loop takes invocations from the Runtime API and runs them on workers.
type loop struct {
	client *runtimeClient
	pool   *pool
	log    io.Writer
	getenv func(string) string
}

// poll serves invocations until ctx ends (-1), the Runtime API fails (1)
// or a worker panics (2).
func (l *loop) poll(ctx context.Context) int {
	for {
		inv, err := l.client.next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return -1
			}
			fmt.Fprintf(l.log, "lambda sdk: cannot get the next invocation: %v\n", err)
			return 1
		}
		if !l.invoke(inv) {
			return 2
		}
	}
}

// invoke runs one invocation and reports its outcome; false after a panic.
func (l *loop) invoke(inv *invocation) bool {
	env, err := decodeEnvelope(inv.body)
	if err != nil {
		l.fail(inv.id, &runtimeError{"Runtime.InvalidEnvelope", err.Error()})
		return true
	}
	c := invocationContext(env, inv, l.getenv)
	ctx := NewContext(context.Background(), c)
	if !c.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, c.Deadline)
		defer cancel()
	}
	result, err := l.call(ctx, env.Event)
	if pe, ok := err.(*panicError); ok {
		fmt.Fprintf(l.log, "panic: %v\n\n%s", pe.value, pe.stack)
		l.post(inv.id, l.client.fail(context.Background(), inv.id, pe.doc()))
		return false
	}
	if err != nil {
		l.fail(inv.id, err)
		return true
	}
	body, err := encodeJSON(result)
	switch {
	case err != nil:
		l.fail(inv.id, &runtimeError{"Runtime.MarshalError", "cannot encode the result as JSON: " + err.Error()})
	case len(body) > maxResponse:
		l.fail(inv.id, &runtimeError{"Function.ResponseSizeTooLarge",
			fmt.Sprintf("the result is %d bytes, over the 6 MB limit", len(body))})
	default:
		l.post(inv.id, l.client.respond(context.Background(), inv.id, body))
	}
	return true
}

// call runs the event on a worker from the pool. A worker that panicked is
// not put back.
func (l *loop) call(ctx context.Context, event json.RawMessage) (result any, err error) {
	err = protect(func() error {
		w, err := l.pool.get(ctx)
		if err != nil {
			return err
		}
		result, err = w.Run(ctx, event)
		l.pool.put(w)
		return err
	})
	return result, err
}

// fail logs err with its stack trace, if it has one, and posts it.
func (l *loop) fail(id string, err error) {
	doc := errorDocFor(err)
	var b strings.Builder
	fmt.Fprintf(&b, "invocation %s failed: %s: %s\n", id, doc.Type, doc.Message)
	for _, f := range doc.StackTrace {
		fmt.Fprintf(&b, "\t%s\n", f)
	}
	io.WriteString(l.log, b.String())
	l.post(id, l.client.fail(context.Background(), id, doc))
}

func (l *loop) post(id string, err error) {
	if err != nil {
		fmt.Fprintf(l.log, "lambda sdk: invocation %s: %v\n", id, err)
	}
}

// runtimeError is a failure of the SDK rather than of the function.
type runtimeError struct{ typ, msg string }

func (e *runtimeError) Error() string     { return e.msg }
func (e *runtimeError) ErrorType() string { return e.typ }
