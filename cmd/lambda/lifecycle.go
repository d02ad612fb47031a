package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// component is one part of the platform with a lifetime: the database, the
// driver, the engine, the queue, the HTTP server... open starts it (nil:
// nothing to start) and close stops it and waits, until ctx ends, for
// everything it started (nil: nothing to stop).
type component struct {
	name  string
	open  func(ctx context.Context) error
	close func(ctx context.Context) error
}

// closeOnFailedOpen bounds the clean-up after a component failed to open:
// the caller's context may be the one that ended.
const closeOnFailedOpen = 30 * time.Second

// lifecycle opens components in order and closes the opened ones once,
// in reverse, so that each part stops before what it depends on: the
// scheduler stops ticking before the queue it submits to, HTTP stops
// accepting before the engine behind it, the database closes last.
type lifecycle struct {
	logger *slog.Logger // nil: silent

	mu     sync.Mutex
	opened []component
	done   chan struct{} // made by the first close; closed when it has closed everything
	err    error         // of that close; read once done is closed
}

// open opens cs in order after those already opened. When one fails,
// every component opened so far is closed, in reverse, and the error is
// the failed one's (with any error of that clean-up).
func (l *lifecycle) open(ctx context.Context, cs ...component) error {
	for _, c := range cs {
		if c.open != nil {
			start := time.Now()
			if err := c.open(ctx); err != nil {
				cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeOnFailedOpen)
				defer cancel()
				return errors.Join(err, l.close(cleanup))
			}
			l.debug("opened", c.name, start)
		}
		l.mu.Lock()
		l.opened = append(l.opened, c)
		l.mu.Unlock()
	}
	return nil
}

// close closes the opened components in reverse order, each given what is
// left of ctx, and reports their errors joined. It runs once: later and
// concurrent calls wait for that one and return its result. No call waits
// past its ctx, even for a part that ignores it: the close goes on in the
// background and the caller gets ctx's error.
func (l *lifecycle) close(ctx context.Context) error {
	l.mu.Lock()
	if l.done == nil {
		l.done = make(chan struct{})
		opened := l.opened
		l.opened = nil
		go l.closeAll(ctx, opened)
	}
	done := l.done
	l.mu.Unlock()
	select {
	case <-done:
		return l.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *lifecycle) closeAll(ctx context.Context, opened []component) {
	defer close(l.done)
	var errs []error
	for i := len(opened) - 1; i >= 0; i-- {
		if c := opened[i]; c.close != nil {
			start := time.Now()
			if err := c.close(ctx); err != nil {
				errs = append(errs, fmt.Errorf("close the %s: %w", c.name, err))
				continue
			}
			l.debug("closed", c.name, start)
		}
	}
	l.err = errors.Join(errs...)
}

// debug logs a step of the lifecycle with its duration: what a slow start
// or a slow stop spent its time on.
func (l *lifecycle) debug(what, name string, start time.Time) {
	if l.logger != nil {
		l.logger.Debug(what, "component", name, "took", time.Since(start).Round(time.Millisecond))
	}
}
