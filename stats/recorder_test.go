package stats

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// t0 is the start of a minute, and of a 3-hour bucket.
var t0 = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

func newTestRecorder(t *testing.T) (*Recorder, *memStore, *clock) {
	t.Helper()
	st := newMemStore()
	c := &clock{t: t0}
	r := New(st)
	r.Now = c.Now
	r.Logger = slog.New(slog.DiscardHandler)
	r.Functions = functions{created: map[string]time.Time{"greet": t0.Add(-30 * 24 * time.Hour), "other": t0.Add(-time.Hour)}}
	return r, st, c
}

// inv is an invocation of fn that ended at end after d.
func inv(fn string, end time.Time, d time.Duration, status, errType string) *lambda.Invocation {
	version := 1
	if errType == lambda.ETHROTTLED {
		version = 0
	}
	return &lambda.Invocation{ID: fmt.Sprint(end.UnixNano(), d), Function: fn, Version: version, Start: end.Add(-d), Duration: d, Status: status, ErrorType: errType}
}

func ok(fn string, end time.Time, d time.Duration) *lambda.Invocation {
	return inv(fn, end, d, lambda.StatusSucceeded, "")
}

func stats(t *testing.T, r *Recorder, fn, window string) *lambda.FunctionStats {
	t.Helper()
	w, err := lambda.ParseStatsWindow(window)
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.FunctionStats(context.Background(), fn, w)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestAnswerIncludesCurrentMinute(t *testing.T) {
	r, _, c := newTestRecorder(t)
	c.Set(t0.Add(30 * time.Second))
	for i := range 100 {
		r.ObserveInvocation(ok("greet", t0.Add(time.Duration(i)*100*time.Millisecond), time.Duration(i+1)*time.Millisecond))
	}
	r.ObserveInvocation(inv("greet", t0.Add(time.Second), time.Second, lambda.StatusFailed, lambda.EFUNCTION))
	r.ObserveInvocation(inv("greet", t0.Add(time.Second), 0, lambda.StatusFailed, lambda.ETHROTTLED))
	cold := ok("greet", t0.Add(2*time.Second), 5*time.Millisecond)
	cold.Cold = true
	r.ObserveInvocation(cold)
	r.ObserveInvocation(ok("other", t0, time.Millisecond))

	st := stats(t, r, "greet", "1h")
	if len(st.Buckets) != 60 || st.StepSeconds != 60 || !st.End.Equal(t0.Add(time.Minute)) || !st.Start.Equal(t0.Add(-59*time.Minute)) {
		t.Fatalf("window: %d buckets of %ds, %s to %s", len(st.Buckets), st.StepSeconds, st.Start, st.End)
	}
	last := st.Buckets[59]
	want := lambda.StatsCounts{Invocations: 103, Errors: 1, Throttles: 1, ColdStarts: 1}
	if !last.Start.Equal(t0) || last.StatsCounts != want || last.Timed != 102 {
		t.Errorf("current minute: %+v, want %+v and 102 timed", last, want)
	}
	// 1..100 ms, 1 s and 5 ms: the median is about 51 ms, p99 100 ms.
	if last.P50Ms < 49 || last.P50Ms > 53 || last.P99Ms < 98 || last.P99Ms > 102 {
		t.Errorf("percentiles: p50 %.3f ms, p95 %.3f, p99 %.3f", last.P50Ms, last.P95Ms, last.P99Ms)
	}
	if st.Total.StatsCounts != want || st.Total.P99Ms != last.P99Ms {
		t.Errorf("total %+v, want the current minute's", st.Total)
	}
	for _, b := range st.Buckets[:59] {
		if b.Invocations != 0 || b.P50Ms != 0 {
			t.Fatalf("bucket %s: %+v, want empty", b.Start, b)
		}
	}
}

// A flush stores the minutes that are over and keeps the current one in
// memory; answers count each invocation once throughout.
func TestFlushStoresFinishedMinutes(t *testing.T) {
	r, st, c := newTestRecorder(t)
	for i := range 5 {
		r.ObserveInvocation(ok("greet", t0.Add(time.Duration(i)*time.Minute), time.Millisecond))
	}
	c.Set(t0.Add(4*time.Minute + 2*time.Second))
	if err := r.Flush(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.total("greet"); n.Invocations != 4 {
		t.Errorf("stored %d invocations, want the 4 of the minutes that are over", n.Invocations)
	}
	got := stats(t, r, "greet", "1h")
	if got.Total.Invocations != 5 {
		t.Errorf("answer counts %d, want 5", got.Total.Invocations)
	}
	for i, b := range got.Buckets[55:] {
		if b.Invocations != 1 {
			t.Errorf("minute %d: %d invocations, want 1", i, b.Invocations)
		}
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, timed := st.total("greet"); n.Invocations != 5 || timed != 5 {
		t.Errorf("after Close: stored %d (%d timed), want 5: Close writes the current minute", n.Invocations, timed)
	}
}

// Minutes the store refuses stay in memory, in the answers, and are
// written by the next flush that succeeds.
func TestFlushFailureKeepsMinutes(t *testing.T) {
	r, st, c := newTestRecorder(t)
	r.ObserveInvocation(ok("greet", t0, time.Millisecond))
	c.Set(t0.Add(time.Minute + 2*time.Second))
	st.fail = true
	if err := r.Flush(context.Background(), false); err == nil {
		t.Fatal("a failed save went unreported")
	}
	r.ObserveInvocation(ok("greet", t0.Add(time.Minute), time.Millisecond))
	if got := stats(t, r, "greet", "1h"); got.Total.Invocations != 2 || got.Buckets[58].Invocations != 1 {
		t.Errorf("while the store fails: %d, minute before %d", got.Total.Invocations, got.Buckets[58].Invocations)
	}
	st.fail = false
	c.Set(t0.Add(2*time.Minute + 2*time.Second))
	if err := r.Flush(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.total("greet"); n.Invocations != 2 {
		t.Errorf("stored %d, want 2", n.Invocations)
	}
	if got := stats(t, r, "greet", "1h"); got.Total.Invocations != 2 {
		t.Errorf("after the store came back: %d, want 2", got.Total.Invocations)
	}
}

// While the store fails, the minutes kept take at most MaxPendingBytes;
// past it the oldest go, of whichever function, and the latest stay.
func TestFlushFailureBounded(t *testing.T) {
	r, st, c := newTestRecorder(t)
	st.fail = true
	for i := range 10 {
		for _, fn := range []string{"greet", "other"} {
			r.ObserveInvocation(ok(fn, t0.Add(time.Duration(i)*time.Minute), time.Millisecond))
		}
		if i == 0 {
			// Room for 3 minutes as small as the first.
			c.Set(t0.Add(time.Minute + time.Second))
			_ = r.Flush(context.Background(), false)
			for _, m := range r.pending {
				r.MaxPendingBytes = 3 * m.pendingBytes()
			}
			continue
		}
		c.Set(t0.Add(time.Duration(i+1)*time.Minute + time.Second))
		_ = r.Flush(context.Background(), false)
	}
	total := 0
	for k, m := range r.pending {
		total += m.pendingBytes()
		if k.minute < t0.Unix()/60+8 {
			t.Errorf("%s's minute %d kept: the oldest go first", k.function, k.minute-t0.Unix()/60)
		}
	}
	if len(r.pending) != 3 || total > r.MaxPendingBytes {
		t.Fatalf("%d minutes pending (%d bytes), want 3 (at most %d bytes)", len(r.pending), total, r.MaxPendingBytes)
	}
}

func TestWindowsBucketing(t *testing.T) {
	r, _, c := newTestRecorder(t)
	now := t0.Add(7*time.Hour + 10*time.Minute) // 16:10
	c.Set(now)
	for _, at := range []time.Time{
		now, now.Add(-9 * time.Minute), // 16:00–16:30 bucket, 15:00–18:00
		now.Add(-11 * time.Minute),              // 15:59: 15:30 bucket
		now.Add(-23*time.Hour - 40*time.Minute), // 16:30 yesterday: the first 24h bucket
		now.Add(-24 * time.Hour),                // 16:10 yesterday: out of 24h
		now.Add(-6*24*time.Hour - 22*time.Hour), // 18:10 six days before: the first 7d bucket
		now.Add(-7 * 24 * time.Hour),            // out of 7d
	} {
		r.ObserveInvocation(ok("greet", at, time.Millisecond))
	}
	day := stats(t, r, "greet", "24h")
	if len(day.Buckets) != 48 || !day.End.Equal(t0.Add(7*time.Hour+30*time.Minute)) {
		t.Fatalf("24h: %d buckets to %s", len(day.Buckets), day.End)
	}
	if day.Buckets[47].Invocations != 2 || day.Buckets[46].Invocations != 1 || day.Buckets[0].Invocations != 1 || day.Total.Invocations != 4 {
		t.Errorf("24h: last %d, before %d, first %d, total %d; want 2, 1, 1, 4",
			day.Buckets[47].Invocations, day.Buckets[46].Invocations, day.Buckets[0].Invocations, day.Total.Invocations)
	}
	week := stats(t, r, "greet", "7d")
	if len(week.Buckets) != 56 || !week.End.Equal(t0.Add(9*time.Hour)) {
		t.Fatalf("7d: %d buckets to %s", len(week.Buckets), week.End)
	}
	if week.Buckets[55].Invocations != 3 || week.Buckets[0].Invocations != 1 || week.Total.Invocations != 6 {
		t.Errorf("7d: last %d, first %d, total %d; want 3, 1, 6", week.Buckets[55].Invocations, week.Buckets[0].Invocations, week.Total.Invocations)
	}
}

func TestUnknownFunction(t *testing.T) {
	r, _, _ := newTestRecorder(t)
	w, _ := lambda.ParseStatsWindow("1h")
	_, err := r.FunctionStats(context.Background(), "nope", w)
	if lambda.ErrorCode(err) != lambda.ENOTFOUND || lambda.ErrorMessage(err) != `function "nope" not found: "lambda list" shows the functions there are` {
		t.Errorf("unknown function: %v", err)
	}
}

// A function deleted and created again starts afresh: minutes before its
// creation were its namesake's.
func TestHistoryOfNamesake(t *testing.T) {
	r, _, c := newTestRecorder(t)
	c.Set(t0.Add(30 * time.Second))
	r.ObserveInvocation(ok("other", t0.Add(-2*time.Hour), time.Millisecond))
	r.ObserveInvocation(ok("other", t0.Add(-time.Hour), time.Millisecond)) // its creation minute
	r.ObserveInvocation(ok("other", t0, time.Millisecond))
	if got := stats(t, r, "other", "24h"); got.Total.Invocations != 2 {
		t.Errorf("%d invocations, want the 2 since the function was created", got.Total.Invocations)
	}
}

// A function idle for a whole flush is forgotten; it is made anew by its
// next invocation, which is counted.
func TestIdleFunctionForgotten(t *testing.T) {
	r, st, c := newTestRecorder(t)
	r.ObserveInvocation(ok("greet", t0, time.Millisecond))
	c.Set(t0.Add(time.Minute + time.Second))
	_ = r.Flush(context.Background(), false)
	if _, ok := r.fns.Load("greet"); !ok {
		t.Fatal("forgotten in the flush that took its minute")
	}
	c.Set(t0.Add(2*time.Minute + time.Second))
	_ = r.Flush(context.Background(), false)
	if _, ok := r.fns.Load("greet"); ok {
		t.Fatal("an idle function is still held")
	}
	r.ObserveInvocation(ok("greet", t0.Add(2*time.Minute), time.Millisecond))
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.total("greet"); n.Invocations != 2 {
		t.Errorf("stored %d, want 2", n.Invocations)
	}
}

// Many goroutines observe while flushes forget and store and answers read:
// every invocation is counted once (run with -race).
func TestConcurrentObserve(t *testing.T) {
	r, st, c := newTestRecorder(t)
	const workers, each = 16, 2000
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(1)
	go func() {
		defer bg.Done()
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			c.Set(t0.Add(time.Duration(i) * 20 * time.Second))
			_ = r.Flush(context.Background(), false)
			stats(t, r, "greet", "24h")
		}
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				fn := "greet"
				if i%3 == 0 {
					fn = "other"
				}
				x := ok(fn, c.Now(), time.Duration(i)*time.Microsecond)
				x.ID = fmt.Sprint(w, "-", i)
				r.ObserveInvocation(x)
			}
		}()
	}
	wg.Wait()
	close(stop)
	bg.Wait()
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	g, timed := st.total("greet")
	o, _ := st.total("other")
	if g.Invocations+o.Invocations != workers*each || timed != uint64(g.Invocations) {
		t.Errorf("stored %d + %d invocations (%d timed), want %d", g.Invocations, o.Invocations, timed, workers*each)
	}
}

func TestOpenClose(t *testing.T) {
	r, st, _ := newTestRecorder(t)
	r.Now = nil
	r.ObserveInvocation(ok("greet", time.Now(), time.Millisecond))
	if err := r.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Open(context.Background()); err == nil {
		t.Error("opened twice")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.total("greet"); n.Invocations != 1 {
		t.Errorf("stored %d after Close, want 1", n.Invocations)
	}
}

func BenchmarkObserveInvocation(b *testing.B) {
	r := New(newMemStore())
	x := ok("greet", time.Now(), 3*time.Millisecond)
	x.ID = "3f1c9a2e-6b1d-4e8f-9a0b-1c2d3e4f5a6b"
	b.ReportAllocs()
	for b.Loop() {
		r.ObserveInvocation(x)
	}
}

func BenchmarkObserveInvocationParallel(b *testing.B) {
	r := New(newMemStore())
	end := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		x := ok("greet", end, 3*time.Millisecond)
		start := x.Start
		for i := 0; pb.Next(); i++ {
			x.Start = start.Add(time.Duration(i%64) * time.Microsecond) // requests at different times
			r.ObserveInvocation(x)
		}
	})
}

// A deleted function's minutes not stored yet are forgotten: a function
// deployed again under the name within the minute starts afresh.
func TestDeleteForgets(t *testing.T) {
	r, st, c := newTestRecorder(t)
	r.ObserveInvocation(ok("greet", t0, time.Millisecond))
	c.Set(t0.Add(time.Minute + time.Second))
	st.fail = true
	_ = r.Flush(context.Background(), false) // one minute pending
	r.ObserveInvocation(ok("greet", t0.Add(time.Minute), time.Millisecond))
	r.ObserveInvocation(ok("other", t0.Add(time.Minute), time.Millisecond))
	r.FunctionDeleted("greet")
	if got := stats(t, r, "greet", "1h"); got.Total.Invocations != 0 {
		t.Errorf("after the delete: %d invocations, want 0", got.Total.Invocations)
	}
	r.ObserveInvocation(ok("greet", t0.Add(time.Minute), time.Millisecond))
	st.fail = false
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if g, _ := st.total("greet"); g.Invocations != 1 {
		t.Errorf("stored %d for greet, want the 1 after the delete", g.Invocations)
	}
	if o, _ := st.total("other"); o.Invocations != 1 {
		t.Errorf("stored %d for other, want 1: another function is untouched", o.Invocations)
	}
}

// Once open, the recorder writes each minute once it is over, by itself.
func TestOpenFlushesEachMinute(t *testing.T) {
	r, st, _ := newTestRecorder(t)
	r.FlushDelay = 0
	var mu sync.Mutex
	calls := 0
	r.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		if calls++; calls == 1 {
			return t0.Add(-50 * time.Millisecond) // the first wait: 50 ms
		}
		return t0.Add(time.Second)
	}
	r.ObserveInvocation(ok("greet", t0.Add(-time.Second), time.Millisecond))
	if err := r.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n, _ := st.total("greet"); n.Invocations == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the minute that ended was not written within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// More minutes than one save takes are written in several, the pruning
// with the first; a save that fails leaves only the minutes it had and
// those after it in memory, and the next flush writes them once.
func TestFlushInBatches(t *testing.T) {
	const functions = 2*saveBatch + 88
	r, st, c := newTestRecorder(t)
	for i := range functions {
		r.ObserveInvocation(ok(fmt.Sprintf("fn-%04d", i), t0, time.Duration(i+1)*time.Millisecond))
	}
	c.Set(t0.Add(time.Minute + 2*time.Second))
	st.failAt = 2
	if err := r.Flush(context.Background(), false); err == nil {
		t.Fatal("a failed save went unreported")
	}
	if len(r.pending) != functions-saveBatch {
		t.Errorf("%d minutes pending after the second save failed, want %d", len(r.pending), functions-saveBatch)
	}
	st.failAt = 0
	if err := r.Flush(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if len(r.pending) != 0 || len(st.minutes) != functions {
		t.Errorf("%d pending, %d stored, want 0 and %d", len(r.pending), len(st.minutes), functions)
	}
	for i := range functions {
		fn := fmt.Sprintf("fn-%04d", i)
		n, timed := st.total(fn)
		m := st.minutes[pendingKey{fn, t0.Unix() / 60}]
		var want lambda.LatencyHistogram
		want.Add(time.Duration(i+1) * time.Millisecond)
		if n.Invocations != 1 || timed != 1 || m == nil || m.Latency != want {
			t.Fatalf("%s: stored %d invocations (%d timed), want 1 of %d ms", fn, n.Invocations, timed, i+1)
		}
	}
	// Calls: 1 and 2 (failed), then 3 and 4 for the minutes left.
	prune := t0.Add(time.Minute + 2*time.Second).Add(-r.Retention).Truncate(time.Minute)
	want := []time.Time{prune, {}, prune, {}}
	if !slices.EqualFunc(st.prunes, want, time.Time.Equal) {
		t.Errorf("pruneBefore of each save: %v, want %v", st.prunes, want)
	}
}

// A function observed one request at a time keeps one shard; once
// observers meet on it, it has all, and counts every invocation once.
func TestShardsUnderContention(t *testing.T) {
	r, st, c := newTestRecorder(t)
	c.Set(t0.Add(30 * time.Second))
	for i := range 100 {
		x := ok("greet", t0, time.Millisecond)
		x.Start = x.Start.Add(time.Duration(i) * time.Microsecond)
		r.ObserveInvocation(x)
	}
	v, _ := r.fns.Load("greet")
	f := v.(*function)
	if f.more.Load() != nil {
		t.Fatal("uncontended, the function has more than one shard")
	}
	// An observer meets the test on the first shard's mutex (tried again
	// should the goroutine not run while the test holds it).
	met := 0
	for f.more.Load() == nil && met < 50 {
		f.first.mu.Lock()
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.ObserveInvocation(ok("greet", t0, time.Millisecond))
		}()
		time.Sleep(20 * time.Millisecond)
		f.first.mu.Unlock()
		<-done
		met++
	}
	if f.more.Load() == nil {
		t.Fatal("observers met on the shard and the function did not grow shards")
	}
	for i := range 100 {
		x := ok("greet", t0, time.Millisecond)
		x.Start = x.Start.Add(time.Duration(i) * time.Microsecond)
		r.ObserveInvocation(x)
	}
	var buf [shards]*shard
	for _, sh := range f.shards(&buf) {
		if sh.cur == nil {
			t.Error("a shard took no invocation")
		}
	}
	want := int64(200 + met)
	if got := stats(t, r, "greet", "1h"); got.Total.Invocations != want || got.Total.Timed != want {
		t.Errorf("answer counts %d (%d timed), want %d", got.Total.Invocations, got.Total.Timed, want)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, timed := st.total("greet"); n.Invocations != want || timed != uint64(want) {
		t.Errorf("stored %d (%d timed), want %d", n.Invocations, timed, want)
	}
}
