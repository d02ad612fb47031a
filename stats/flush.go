package stats

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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

// saveBatch is how many minutes one SaveStats call writes: each becomes a
// dense lambda.StatsMinute (6.9 KB) for the store, so 5,000 functions'
// minute is written with 1.8 MB of them, not 35 MB.
const saveBatch = 256

// Flush writes the minutes that are over (with all, every minute in
// memory) to the store, oldest first, in transactions of saveBatch
// minutes, the first with the pruning of those past Retention. Minutes
// the store refuses stay in memory for the next flush.
func (r *Recorder) Flush(ctx context.Context, all bool) error {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.take(now.Unix()/60, all)
	prune := now.Add(-r.Retention).Truncate(time.Minute)
	keys := make([]pendingKey, 0, len(r.pending))
	for k, m := range r.pending {
		if k.minute*60 < prune.Unix() {
			delete(r.pending, k)
			r.release(m)
			continue
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, pendingKey.compare)
	ctx, cancel := context.WithTimeout(ctx, r.FlushTimeout)
	defer cancel()
	batch := make([]*lambda.StatsMinute, min(len(keys), saveBatch))
	for i := range batch {
		batch[i] = new(lambda.StatsMinute)
	}
	for first := true; first || len(keys) > 0; first = false {
		n := min(len(keys), saveBatch)
		for i, k := range keys[:n] {
			m, b := r.pending[k], batch[i]
			b.Function, b.Minute, b.StatsCounts, b.Latency = k.function, time.Unix(k.minute*60, 0).UTC(), m.StatsCounts, lambda.LatencyHistogram{}
			m.latency.addTo(&b.Latency)
		}
		pruneBefore := prune
		if !first {
			pruneBefore = time.Time{}
		}
		if err := r.Store.SaveStats(ctx, batch[:n], pruneBefore); err != nil {
			r.bound()
			return err
		}
		for _, k := range keys[:n] {
			r.release(r.pending[k])
			delete(r.pending, k)
		}
		keys = keys[n:]
	}
	return nil
}

// take moves the minutes before minute upTo (all: every minute) from the
// shards to pending, and forgets the functions that had none: idle or
// deleted ones cost no memory.
func (r *Recorder) take(upTo int64, all bool) {
	r.fns.Range(func(_, v any) bool {
		f := v.(*function)
		took := false
		var buf [shards]*shard
		for _, sh := range f.shards(&buf) {
			sh.mu.Lock()
			done, cur := sh.done, sh.cur
			sh.done = nil
			if cur != nil && (all || cur.unix < upTo) {
				sh.cur = nil
			} else {
				cur = nil
			}
			busy := sh.cur != nil
			sh.mu.Unlock()
			for _, m := range done {
				r.keep(f.name, m)
			}
			if cur != nil {
				r.keep(f.name, cur)
			}
			took = took || len(done) > 0 || cur != nil || busy
		}
		if !took {
			r.forget(f)
		}
		return true
	})
}

// keep merges m into the pending minute of function, or makes it that
// minute.
func (r *Recorder) keep(function string, m *minute) {
	k := pendingKey{function, m.unix}
	p := r.pending[k]
	if p == nil {
		r.pending[k] = m
		return
	}
	p.StatsCounts.Add(m.StatsCounts)
	p.latency.merge(&m.latency)
	r.release(m)
}

// forget drops f if all its shards are still empty; an observer that
// holds f then finds it gone and makes the function anew. Holding first's
// mutex keeps f from growing shards meanwhile.
func (r *Recorder) forget(f *function) {
	f.first.mu.Lock()
	var buf [shards]*shard
	all := f.shards(&buf)
	for _, sh := range all[1:] {
		sh.mu.Lock()
	}
	empty := true
	for _, sh := range all {
		empty = empty && sh.cur == nil && len(sh.done) == 0
	}
	if empty {
		for _, sh := range all {
			sh.gone = true
		}
		r.fns.CompareAndDelete(f.name, f)
	}
	for _, sh := range all {
		sh.mu.Unlock()
	}
}

// bound drops the oldest pending minutes past MaxPendingBytes: a store
// down for long must not grow the server's memory without end. The oldest
// go first, whatever their function, so that what is kept is the latest
// history of every function.
func (r *Recorder) bound() {
	total := 0
	for _, m := range r.pending {
		total += m.pendingBytes()
	}
	if total <= r.MaxPendingBytes {
		return
	}
	keys := make([]pendingKey, 0, len(r.pending))
	for k := range r.pending {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, pendingKey.compare)
	dropped := 0
	for _, k := range keys {
		if total <= r.MaxPendingBytes {
			break
		}
		m := r.pending[k]
		total -= m.pendingBytes()
		delete(r.pending, k)
		r.release(m)
		dropped++
	}
	r.Logger.Warn("stats: the store has refused minutes for long; the oldest are dropped", "dropped", dropped,
		"kept", len(r.pending), "kept_bytes", total, "max_bytes", r.MaxPendingBytes)
}

// compare orders keys by minute, then function.
func (k pendingKey) compare(o pendingKey) int {
	if c := cmp.Compare(k.minute, o.minute); c != 0 {
		return c
	}
	return strings.Compare(k.function, o.function)
}
