package stats

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdahq/lambda"
)

// shards splits the current minute of a function whose concurrent
// requests met on its mutex, so that they seldom meet again: the
// microsecond an invocation started at picks its shard (requests at once
// differ there; hashing the ID cost more than the rest of the
// observation). A function never contended keeps one shard: most of many
// functions see a few invocations a minute.
const shards = 4

// Recorder adds up invocations per function and minute, and answers for
// the history. Create it with New; Open starts the flush once a minute,
// Close writes what is left.
type Recorder struct {
	// Store keeps the minutes once they are over.
	Store lambda.StatsStore
	// Functions, when set, answers whether a function exists (ENOTFOUND
	// otherwise) and since when: minutes before its creation belong to a
	// deleted function of the same name.
	Functions lambda.FunctionStore
	Logger    *slog.Logger
	// Retention is how long minutes are kept; older ones are pruned.
	Retention time.Duration
	// FlushDelay is how long after a minute ends it is written, so that
	// the invocations that ended in it have been observed.
	FlushDelay time.Duration
	// FlushTimeout bounds one write to the store.
	FlushTimeout time.Duration
	// MaxPendingBytes bounds the memory of the minutes kept while the
	// store fails: 160 bytes each and 6 a latency bucket in use (176 B
	// for one invocation, about 550 B for a minute spread over 60 buckets,
	// 1 to 5 ms). Past it the oldest minutes, of every function, are
	// dropped (and logged): the latest history is kept. The default,
	// 32 MB, holds 60,000 to 190,000 function-minutes: 5,000 busy
	// functions for 12 to 38 minutes, 100 for 10 hours or more.
	MaxPendingBytes int
	// Now returns the time (time.Now when nil); tests replace it.
	Now func() time.Time

	fns sync.Map // function name → *function

	// mu makes a flush one step for readers: while minutes move from
	// memory to the store no answer is computed, so none counts them
	// twice or misses them. ObserveInvocation never takes it.
	mu      sync.RWMutex
	pending map[pendingKey]*minute // flushed minutes the store refused

	pool   sync.Pool // *minute
	cancel func()
	done   chan struct{}
}

var (
	_ lambda.InvocationObserver = (*Recorder)(nil)
	_ lambda.StatsService       = (*Recorder)(nil)
)

type pendingKey struct {
	function string
	minute   int64
}

// New returns a Recorder on store with the defaults: 7 days of minutes,
// each written 2 seconds after it ends, at most 32 MB of them kept while
// the store fails.
func New(store lambda.StatsStore) *Recorder {
	return &Recorder{
		Store: store, Logger: slog.Default(), Retention: lambda.StatsRetention,
		FlushDelay: 2 * time.Second, FlushTimeout: 30 * time.Second, MaxPendingBytes: 32 << 20,
		pending: map[pendingKey]*minute{},
	}
}

// function is one function's minutes not flushed yet.
type function struct {
	name  string
	first shard
	// more are the other shards, made (under first's mutex, which forget
	// holds too) once observers met on first.
	more atomic.Pointer[[shards - 1]paddedShard]
	// Rounds a function up to 128 bytes, two whole cache lines: busy
	// functions observed on different cores do not share one.
	_ [56]byte
}

type shard struct {
	mu sync.Mutex
	// gone: the flush forgot the function (idle); an observer that finds
	// it set looks the function up again.
	gone bool
	cur  *minute   // the latest minute observed
	done []*minute // earlier minutes, waiting for the flush
}

type paddedShard struct {
	shard
	_ [64]byte // keeps contended shards off each other's cache lines
}

// shard returns shard i of f, the first while f has no others.
func (f *function) shard(i int) *shard {
	if i != 0 {
		if more := f.more.Load(); more != nil {
			return &more[i-1].shard
		}
	}
	return &f.first
}

// shards returns f's shards made so far, in buf (no allocation for a
// flush that walks every function).
func (f *function) shards(buf *[shards]*shard) []*shard {
	buf[0] = &f.first
	more := f.more.Load()
	if more == nil {
		return buf[:1]
	}
	for i := range more {
		buf[i+1] = &more[i].shard
	}
	return buf[:]
}

// minute is what one shard added up of one minute.
type minute struct {
	unix int64 // its start, in minutes since the Unix epoch
	lambda.StatsCounts
	latency latency
}

func (r *Recorder) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// ObserveInvocation implements lambda.InvocationObserver. It runs on the
// request's goroutine: a map read, then a few adds under the mutex of one
// of the function's shards; it allocates only when a shard starts a minute
// or its histogram a bucket, and when the function is first contended.
func (r *Recorder) ObserveInvocation(inv *lambda.Invocation) {
	end := inv.Start.Add(inv.Duration)
	if inv.Start.IsZero() {
		end = r.now()
	}
	at := end.Unix() / 60
	i := inv.Start.Nanosecond() / 1000 % shards
	for {
		f := r.function(inv.Function)
		sh := f.shard(i)
		if !sh.mu.TryLock() {
			sh.mu.Lock()
			if sh == &f.first && !sh.gone && f.more.Load() == nil {
				f.more.Store(new([shards - 1]paddedShard))
			}
		}
		if sh.gone {
			sh.mu.Unlock()
			continue
		}
		m := sh.cur
		switch {
		case m == nil:
			m = r.newMinute(at)
			sh.cur = m
		case m.unix < at:
			sh.done = append(sh.done, m)
			m = r.newMinute(at)
			sh.cur = m
		case m.unix > at:
			m = sh.earlier(r, at)
		}
		m.Count(inv)
		if lambda.Timed(inv) {
			m.latency.add(inv.Duration)
		}
		sh.mu.Unlock()
		return
	}
}

// earlier returns the shard's minute at, before its current one: an
// invocation whose observer ran after another's of the next minute.
func (sh *shard) earlier(r *Recorder, at int64) *minute {
	for _, m := range sh.done {
		if m.unix == at {
			return m
		}
	}
	m := r.newMinute(at)
	sh.done = append(sh.done, m)
	return m
}

// function returns name's state, making it on first use.
func (r *Recorder) function(name string) *function {
	if f, ok := r.fns.Load(name); ok {
		return f.(*function)
	}
	f, _ := r.fns.LoadOrStore(name, &function{name: name})
	return f.(*function)
}

func (r *Recorder) newMinute(at int64) *minute {
	m, _ := r.pool.Get().(*minute)
	if m == nil {
		m = new(minute)
	}
	m.unix = at
	return m
}

// release returns m to the pool, emptied.
func (r *Recorder) release(m *minute) {
	m.StatsCounts = lambda.StatsCounts{}
	m.latency.reset()
	r.pool.Put(m)
}

// minuteBytes is what a pending minute costs besides its histogram's
// arrays: the minute, its map entry and key.
const minuteBytes = 160

// pendingBytes is the memory m takes, as MaxPendingBytes counts it.
func (m *minute) pendingBytes() int { return minuteBytes + m.latency.bytes() }
