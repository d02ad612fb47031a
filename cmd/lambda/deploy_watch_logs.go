package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

// watchLogs streams the logs of the functions a watch deploys.
type watchLogs []*functionLogs

// newWatchLogs follows names; a project's lines start with their
// function's name.
func newWatchLogs(s *streams, c *lambdahttp.Client, names []string, off bool) watchLogs {
	var ls watchLogs
	for _, name := range names {
		out, errOut := s.Out, s.Err
		if len(names) > 1 {
			out = &prefixWriter{w: out, prefix: name + " | "}
		}
		ls = append(ls, &functionLogs{out: out, errOut: errOut, client: c, name: name, off: off})
	}
	return ls
}

func (ls watchLogs) start(ctx context.Context) {
	for _, l := range ls {
		l.start(ctx)
	}
}

// stop ends every stream, then waits for them, bounded as a whole.
func (ls watchLogs) stop() {
	for _, l := range ls {
		l.cancelStream()
	}
	deadline := time.After(watchStopWait)
	for _, l := range ls {
		if !l.wait(deadline) {
			return
		}
	}
}

// prefixWriter starts each write, a line of textLine's, with prefix.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if _, err := p.w.Write(append([]byte(p.prefix), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// functionLogs streams a function's logs between deploys, from the time
// the watch started following them. A stream that ends (the server went
// away for longer than followLogs waits, the function was deleted) starts
// again after the next successful deploy.
type functionLogs struct {
	out, errOut io.Writer
	client      *lambdahttp.Client
	name        string
	off         bool

	mu      sync.Mutex
	running bool
	done    chan struct{}
	cancel  context.CancelFunc
}

func (l *functionLogs) start(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.off || l.running || ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	l.running, l.done, l.cancel = true, make(chan struct{}), cancel
	q := lambdahttp.LogQuery{Since: time.Now().UTC().Format(time.RFC3339Nano)}
	done := l.done
	go func() {
		defer close(done)
		defer cancel()
		s := &streams{Out: l.out, Err: l.errOut}
		err := followLogs(ctx, s, l.client, l.name, q, textLine(l.out, l.errOut))
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(l.errOut, "logs of %s: %s; they resume after the next deploy\n", l.name, lambda.ErrorMessage(err))
		}
		l.mu.Lock()
		l.running = false
		l.mu.Unlock()
	}()
}

// cancelStream ends the stream, if one runs.
func (l *functionLogs) cancelStream() {
	l.mu.Lock()
	cancel := l.cancel
	l.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// wait waits for the stream to end, or deadline; false at the deadline.
func (l *functionLogs) wait(deadline <-chan time.Time) bool {
	l.mu.Lock()
	done := l.done
	l.mu.Unlock()
	if done == nil {
		return true
	}
	select {
	case <-done:
		return true
	case <-deadline:
		return false
	}
}

// newLockedStreams returns s with its writers sharing one lock: the log
// stream and the deploy lines print from two goroutines.
func newLockedStreams(s *streams) *streams {
	mu := &sync.Mutex{}
	return &streams{In: s.In, Out: &lockedWriter{mu: mu, w: s.Out}, Err: &lockedWriter{mu: mu, w: s.Err}}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
