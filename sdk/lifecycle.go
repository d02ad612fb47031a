package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sync"
)

// Function is a function with state worth keeping between invocations,
// served by Run: Init once per instance, NewWorker for per-worker state,
// Worker.Run per invocation, Stop before the instance goes away.
type Function interface {
	// Init prepares what every worker shares (a loaded model, a word list,
	// a database pool), once, before the first invocation. An error stops
	// the instance: the platform shows it and the instance's log tail.
	Init(ctx context.Context) error
	// NewWorker makes per-worker state (a buffer, a connection) when an
	// invocation finds no idle worker; workers are reused afterwards. ctx is
	// the context of the invocation that needs the worker: do not keep it.
	// An error fails that invocation; the next one tries again.
	NewWorker(ctx context.Context) (Worker, error)
	// Stop runs on SIGTERM, after in-flight invocations end (or 2 s pass)
	// and idle workers that are io.Closers are closed. It has 2 s.
	Stop(ctx context.Context) error
}

// Worker serves invocations, one at a time. ctx carries the invocation's
// deadline and Context (see FromContext); event is the event's JSON. The
// result is encoded as JSON, a Response answering an HTTP request; an
// error fails the invocation. A Worker that is also an io.Closer is closed
// when the instance stops.
type Worker interface {
	Run(ctx context.Context, event json.RawMessage) (any, error)
}

// Run serves fn's workers on the Runtime API of the platform's shim, or
// prints fn's metadata and exits when the program is run with -info. It
// never returns: it exits 0 after a SIGTERM and Stop, 1 when Init fails
// (after reporting it to /runtime/init/error), 2 after a panic.
func Run(fn Function, opts ...Option) {
	os.Exit(osProcess().run(fn, opts))
}

// Start serves handler, as Run serves a Function without state. handler
// is a function of one of the shapes
//
//	func()  func(ctx)  func(Event)  func(ctx, Event)
//
// where ctx is a context.Context and Event any type encoding/json can
// decode, returning nothing, error, Result, or (Result, error). handler
// may also be a Worker, such as Func returns. A handler of any other shape
// stops the program with a message saying why, before it serves anything.
func Start(handler any, opts ...Option) {
	os.Exit(osProcess().start(handler, opts))
}

func (p *process) start(handler any, opts []Option) int {
	w, err := asWorker(handler)
	return p.main(stateless{w}, stateless{w}, err, opts)
}

func (p *process) run(fn Function, opts []Option) int {
	var err error
	if fn == nil {
		err = errors.New("sdk.Run needs a Function, not nil")
	}
	return p.main(fn, fn, err, opts)
}

func asWorker(h any) (Worker, error) {
	switch h := h.(type) {
	case *paramFunc:
		return h, h.err
	case Worker:
		return h, nil
	}
	return newHandler(h)
}

// stateless is the Function of Start: one worker for every invocation.
type stateless struct{ w Worker }

func (stateless) Init(context.Context) error                  { return nil }
func (s stateless) NewWorker(context.Context) (Worker, error) { return s.w, nil }
func (stateless) Stop(context.Context) error                  { return nil }

func (s stateless) describe(m *Metadata) {
	if d, ok := s.w.(describer); ok {
		d.describe(m)
		return
	}
	m.Style, m.Event = "handler", &TypeInfo{Type: "json.RawMessage", Kind: "any"}
}

// pool keeps idle workers. Workers are created outside the lock so a slow
// NewWorker does not hold up invocations that find an idle worker.
type pool struct {
	newWorker func(context.Context) (Worker, error)
	mu        sync.Mutex
	idle      []Worker
}

func (p *pool) get(ctx context.Context) (Worker, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1] // the most recently used: its caches are warm
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return w, nil
	}
	p.mu.Unlock()
	w, err := p.newWorker(ctx)
	if err != nil {
		return nil, &workerError{err}
	}
	if w == nil {
		return nil, &workerError{errors.New("NewWorker returned neither a Worker nor an error")}
	}
	return w, nil
}

func (p *pool) put(w Worker) {
	p.mu.Lock()
	p.idle = append(p.idle, w)
	p.mu.Unlock()
}

// close closes the idle workers that are io.Closers, each once.
func (p *pool) close(log io.Writer) {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	closed := map[any]bool{}
	for _, w := range idle {
		c, ok := w.(io.Closer)
		if !ok {
			continue
		}
		// Start's one worker is idle once per concurrent invocation.
		if reflect.TypeOf(w).Kind() == reflect.Pointer {
			if closed[w] {
				continue
			}
			closed[w] = true
		}
		if err := c.Close(); err != nil {
			fmt.Fprintf(log, "lambda sdk: closing a worker: %v\n", err)
		}
	}
}

// workerError is a NewWorker failure; it keeps the errorType of the cause.
type workerError struct{ err error }

func (e *workerError) Error() string     { return "cannot create a worker: " + e.err.Error() }
func (e *workerError) Unwrap() error     { return e.err }
func (e *workerError) ErrorType() string { return errorType(e.err) }
