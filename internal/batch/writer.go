// Package batch is the background writer that the history recorder and
// the invocation reporter share: the request path offers a value to a
// bounded queue without blocking, and one goroutine takes the queue in
// batches, so that what every request leaves to write costs a channel
// send, not a store write.
package batch

import (
	"context"
	"errors"
	"time"
)

// Writer queues values of T and hands them to a write function in
// batches: once Batch of them are queued (the offer that fills a batch
// wakes the goroutine), else every Interval.
type Writer[T any] struct {
	queue    chan T
	wake     chan struct{} // a batch is queued
	wakeAt   int
	size     int
	interval time.Duration
	cancel   context.CancelFunc
	done     chan struct{}
}

// New returns a Writer whose queue holds queue values (at least 1), that
// writes batches of at most batch values (at least 1) and, at the
// latest, every interval (> 0).
func New[T any](queue, batch int, interval time.Duration) *Writer[T] {
	q := make(chan T, max(queue, 1))
	size := max(batch, 1)
	return &Writer[T]{
		queue: q, wake: make(chan struct{}, 1), size: size, interval: interval,
		// A queue smaller than two batches wakes the writer half full.
		wakeAt: min(size, max(cap(q)/2, 1)),
	}
}

// Offer queues a copy of *v, or reports false when the queue is full (the
// caller counts it as dropped). It never blocks.
func (w *Writer[T]) Offer(v *T) bool {
	select {
	case w.queue <- *v:
		// Only a batch wakes the goroutine, else its tick does: a send to
		// a goroutine waiting on the queue would make it runnable, a
		// goroutine switch and often a thread's wake-up per request.
		if len(w.queue) >= w.wakeAt {
			select {
			case w.wake <- struct{}{}:
			default:
			}
		}
		return true
	default:
		return false
	}
}

// Len is how many values wait in the queue.
func (w *Writer[T]) Len() int { return len(w.queue) }

// Start starts the goroutine. write gets each batch, a slice reused once
// it returns (it copies what it keeps); tick, if not nil, is called after
// every Interval's write. Values offered before Start wait for it.
func (w *Writer[T]) Start(write func([]T), tick func()) error {
	if w.done != nil {
		return errors.New("started already")
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel, w.done = cancel, make(chan struct{})
	go w.run(ctx, write, tick)
	return nil
}

// Stop has the goroutine write what is queued and end, and waits for it
// until ctx ends (then ctx's error; it ends later). A Writer never
// started stops at once.
func (w *Writer[T]) Stop(ctx context.Context) error {
	if w.done == nil {
		return nil
	}
	w.cancel()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done is closed once the goroutine has ended (nil before Start).
func (w *Writer[T]) Done() <-chan struct{} { return w.done }

func (w *Writer[T]) run(ctx context.Context, write func([]T), tick func()) {
	defer close(w.done)
	// Values, not pointers to them: a received value whose address a
	// batch kept would be a heap allocation per request.
	batch := make([]T, 0, w.size)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		write(batch)
		clear(batch) // no strings kept alive until overwritten
		batch = batch[:0]
	}
	take := func(v T) {
		batch = append(batch, v)
		if len(batch) == w.size {
			flush()
		}
	}
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-w.wake:
			// What is queued, each full batch written.
			for n := len(w.queue); n > 0; n-- {
				take(<-w.queue)
			}
		case <-t.C:
			for n := len(w.queue); n > 0; n-- {
				take(<-w.queue)
			}
			flush()
			if tick != nil {
				tick()
			}
		case <-ctx.Done():
			// What was queued before Stop, bounded: a value offered
			// meanwhile may be taken too, never waited for.
			for n := len(w.queue); n > 0; n-- {
				take(<-w.queue)
			}
			flush()
			return
		}
	}
}
