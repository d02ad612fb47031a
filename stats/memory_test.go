package stats

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// heapAfter returns the live heap once f has run, after collections.
func heapAfter(f func()) uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	f()
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc < before {
		return 0
	}
	return ms.HeapAlloc - before
}

// The recorder's memory follows what was observed, not the number of
// buckets a histogram could have: 5,000 functions invoked once in a minute
// (and 4 times, at different microseconds, so on different shards) must
// not cost a dense histogram each.
func TestMemoryFollowsObservations(t *testing.T) {
	for _, tc := range []struct {
		name  string
		each  int
		limit uint64
	}{
		{"once", 1, 8 << 20},
		{"4 times", 4, 16 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const functions = 5000
			r, _, c := newTestRecorder(t)
			c.Set(t0.Add(30 * time.Second))
			names := make([]string, functions)
			for i := range names {
				names[i] = fmt.Sprintf("fn-%05d", i)
			}
			grew := heapAfter(func() {
				for _, name := range names {
					for j := range tc.each {
						// Starts j µs apart pick different shards.
						x := ok(name, t0, 0)
						x.Start = t0.Add(time.Duration(j)*time.Second + time.Duration(j)*time.Microsecond)
						x.Duration = time.Duration(1000+j*37) * time.Microsecond
						r.ObserveInvocation(x)
					}
				}
			})
			t.Logf("%d functions × %d invocations: %.1f MB of heap (%d B a function)", functions, tc.each, float64(grew)/(1<<20), grew/functions)
			if grew > tc.limit {
				t.Errorf("the recorder holds %.1f MB for %d functions × %d invocations, want under %d MB", float64(grew)/(1<<20), functions, tc.each, tc.limit>>20)
			}
			runtime.KeepAlive(r)
		})
	}
}

// A failed flush keeps minutes in memory at their sparse size: 5,000
// functions' minute fits the default bound, in a few MB.
func TestPendingFollowsObservations(t *testing.T) {
	const functions = 5000
	r, st, c := newTestRecorder(t)
	st.fail = true
	grew := heapAfter(func() {
		for i := range functions {
			r.ObserveInvocation(ok(fmt.Sprintf("fn-%05d", i), t0, time.Millisecond))
		}
		c.Set(t0.Add(time.Minute + 2*time.Second))
		_ = r.Flush(context.Background(), false)
	})
	t.Logf("%d minutes pending: %.1f MB of heap", len(r.pending), float64(grew)/(1<<20))
	if len(r.pending) != functions {
		t.Errorf("%d minutes pending after one failed flush, want all %d", len(r.pending), functions)
	}
	if grew > 8<<20 {
		t.Errorf("%d pending minutes hold %.1f MB, want under 8 MB", functions, float64(grew)/(1<<20))
	}
	runtime.KeepAlive(r)
}

// A function whose observers met has 4 shards, each with a sparse minute:
// still a few hundred bytes a function.
func TestMemoryOfContendedFunctions(t *testing.T) {
	const functions = 5000
	r, _, c := newTestRecorder(t)
	c.Set(t0.Add(30 * time.Second))
	names := make([]string, functions)
	for i := range names {
		names[i] = fmt.Sprintf("fn-%05d", i)
	}
	grew := heapAfter(func() {
		for _, name := range names {
			r.function(name).more.Store(new([shards - 1]paddedShard))
			for j := range shards {
				x := ok(name, t0, 0)
				x.Start = t0.Add(time.Duration(j)*time.Second + time.Duration(j)*time.Microsecond)
				x.Duration = time.Duration(1000+j*37) * time.Microsecond
				r.ObserveInvocation(x)
			}
		}
	})
	t.Logf("%d functions × %d shards × 1 invocation: %.1f MB of heap (%d B a function)", functions, shards, float64(grew)/(1<<20), grew/functions)
	if grew > 16<<20 {
		t.Errorf("the recorder holds %.1f MB, want under 16 MB", float64(grew)/(1<<20))
	}
	v, _ := r.fns.Load(names[0])
	var buf [shards]*shard
	for _, sh := range v.(*function).shards(&buf) {
		if sh.cur == nil {
			t.Fatal("a shard saw no invocation: the test does not spread them")
		}
	}
	runtime.KeepAlive(r)
}

func TestFunctionFillsCacheLines(t *testing.T) {
	if n := unsafe.Sizeof(function{}); n%64 != 0 {
		t.Errorf("a function is %d bytes: busy functions share cache lines", n)
	}
}
