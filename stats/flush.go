package stats

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lambdahq/lambda"
)

// Open starts writing each minute to the store once it is over.
func (r *Recorder) Open(ctx context.Context) error {
	if r.done != nil {
		return errors.New("stats: already open")
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel, r.done = cancel, make(chan struct{})
	go r.loop(ctx)
	return nil
}

// Close stops the minutely flush and writes every minute still in memory,
// the current one included, so that a clean restart loses nothing. Call it
// once invocations have stopped; it waits until ctx ends at most.
func (r *Recorder) Close(ctx context.Context) error {
	if r.done != nil {
		r.cancel()
		select {
		case <-r.done:
		case <-ctx.Done():
			return fmt.Errorf("stats: the flush did not stop: %w", ctx.Err())
		}
	}
	return r.Flush(ctx, true)
}

func (r *Recorder) loop(ctx context.Context) {
	defer close(r.done)
	t := time.NewTimer(r.untilFlush())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := r.Flush(ctx, false); err != nil && ctx.Err() == nil {
			r.Logger.Warn("stats: the last minutes could not be written; they stay in memory and are tried again next minute", "err", err)
		}
		t.Reset(r.untilFlush())
	}
}

// untilFlush is the time until the next minute has been over FlushDelay.
func (r *Recorder) untilFlush() time.Duration {
	now := r.now()
	return now.Truncate(time.Minute).Add(time.Minute + r.FlushDelay).Sub(now)
}

// Flush writes the minutes that are over (with all, every minute in
// memory) to the store in one transaction, with the pruning of those past
// Retention. Minutes the store refuses stay in memory for the next flush.
func (r *Recorder) Flush(ctx context.Context, all bool) error {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.take(now.Unix()/60, all)
	prune := now.Add(-r.Retention).Truncate(time.Minute)
	minutes := make([]*lambda.StatsMinute, 0, len(r.pending))
	for k, m := range r.pending {
		if m.Minute.Before(prune) {
			delete(r.pending, k)
			continue
		}
		minutes = append(minutes, m)
	}
	ctx, cancel := context.WithTimeout(ctx, r.FlushTimeout)
	defer cancel()
	if err := r.Store.SaveStats(ctx, minutes, prune); err != nil {
		r.bound()
		return err
	}
	clear(r.pending)
	return nil
}

// take moves the minutes before minute upTo (all: every minute) from the
// shards to pending, and forgets the functions that had none: idle or
// deleted ones cost no memory.
func (r *Recorder) take(upTo int64, all bool) {
	r.fns.Range(func(_, v any) bool {
		f := v.(*function)
		took := false
		for i := range f.shards {
			sh := &f.shards[i]
			sh.mu.Lock()
			done := sh.done
			sh.done = nil
			if sh.cur != nil && (all || sh.cur.unix < upTo) {
				done = append(done, sh.cur)
				sh.cur = nil
			}
			busy := sh.cur != nil
			sh.mu.Unlock()
			for _, m := range done {
				r.keep(f.name, m)
			}
			took = took || len(done) > 0 || busy
		}
		if !took {
			r.forget(f)
		}
		return true
	})
}

// keep merges m into the pending minute of function.
func (r *Recorder) keep(function string, m *minute) {
	k := pendingKey{function, m.unix}
	p := r.pending[k]
	if p == nil {
		p = &lambda.StatsMinute{Function: function, Minute: time.Unix(m.unix*60, 0).UTC()}
		r.pending[k] = p
	}
	p.StatsCounts.Add(m.StatsCounts)
	p.Latency.Merge(&m.latency)
	r.pool.Put(m)
}

// forget drops f if all its shards are still empty; an observer that
// holds f then finds it gone and makes the function anew.
func (r *Recorder) forget(f *function) {
	for i := range f.shards {
		f.shards[i].mu.Lock()
	}
	empty := true
	for i := range f.shards {
		empty = empty && f.shards[i].cur == nil && len(f.shards[i].done) == 0
	}
	if empty {
		for i := range f.shards {
			f.shards[i].gone = true
		}
		r.fns.CompareAndDelete(f.name, f)
	}
	for i := range f.shards {
		f.shards[i].mu.Unlock()
	}
}

// bound drops the oldest pending minutes past MaxPending: a store down for
// long must not grow the server's memory without end.
func (r *Recorder) bound() {
	over := len(r.pending) - r.MaxPending
	if over <= 0 {
		return
	}
	keys := make([]pendingKey, 0, len(r.pending))
	for k := range r.pending {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b pendingKey) int { return int(a.minute - b.minute) })
	for _, k := range keys[:over] {
		delete(r.pending, k)
	}
	r.Logger.Warn("stats: the store has refused minutes for long; the oldest are dropped", "dropped", over)
}
