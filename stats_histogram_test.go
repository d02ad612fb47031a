package lambda

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Buckets tile the microseconds: each starts where the previous ends, and
// a value falls in the bucket whose bounds hold it.
func TestLatencyBucketsTile(t *testing.T) {
	var next uint64
	for i := 0; i < LatencyBuckets; i++ {
		lo, w := latencyBounds(i)
		if lo != next {
			t.Fatalf("bucket %d starts at %d µs, want %d", i, lo, next)
		}
		for _, v := range []uint64{lo, lo + w - 1} {
			if got := latencyBucket(time.Duration(v) * time.Microsecond); got != i {
				t.Fatalf("%d µs in bucket %d, want %d", v, got, i)
			}
		}
		if i >= latencySub && float64(w)/float64(lo) > 1.0/latencySub {
			t.Fatalf("bucket %d: width %d of %d is over 1/%d", i, w, lo, latencySub)
		}
		next = lo + w
	}
	if got := latencyBucket(time.Hour); got != LatencyBuckets-1 {
		t.Errorf("an hour in bucket %d, want the last", got)
	}
	if got := latencyBucket(-time.Second); got != 0 {
		t.Errorf("a negative duration in bucket %d, want 0", got)
	}
	if lo, _ := latencyBounds(LatencyBuckets - 1); time.Duration(lo)*time.Microsecond < 15*time.Minute {
		t.Errorf("the last bucket starts at %s: below Lambda's longest timeout", time.Duration(lo)*time.Microsecond)
	}
}

// The quantiles of a histogram are within 1/64 of the exact ones of the
// samples (half a microsecond below 32 µs), whatever their distribution.
func TestLatencyQuantileErrorBound(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	dists := map[string]func() time.Duration{
		"uniform 0-10ms": func() time.Duration { return time.Duration(r.Int64N(int64(10 * time.Millisecond))) },
		"log-uniform 1µs-15min": func() time.Duration {
			return time.Duration(math.Exp(r.Float64()*math.Log(float64(15*time.Minute/time.Microsecond)))) * time.Microsecond
		},
		"bimodal warm/cold": func() time.Duration {
			if r.IntN(20) == 0 {
				return 800*time.Millisecond + time.Duration(r.Int64N(int64(400*time.Millisecond)))
			}
			return 2*time.Millisecond + time.Duration(r.NormFloat64()*float64(200*time.Microsecond))
		},
		"tiny": func() time.Duration { return time.Duration(r.Int64N(int64(40 * time.Microsecond))) },
	}
	for name, gen := range dists {
		for _, n := range []int{1, 7, 100, 10000} {
			var h LatencyHistogram
			samples := make([]time.Duration, n)
			for i := range samples {
				samples[i] = max(gen(), 0)
				h.Add(samples[i])
			}
			slices.Sort(samples)
			for _, q := range []float64{0.5, 0.95, 0.99, 1} {
				rank := int(math.Ceil(q * float64(n)))
				exact, got := samples[max(rank, 1)-1], h.Quantile(q)
				diff := math.Abs(float64(got - exact))
				bound := max(float64(exact)/64, float64(time.Microsecond)/2) + 1
				if diff > bound {
					t.Errorf("%s, n=%d: q%.2f = %s, exact %s: off by %.2f %%", name, n, q, got, exact, 100*diff/float64(exact))
				}
			}
		}
	}
}

func TestLatencyQuantileEmpty(t *testing.T) {
	var h LatencyHistogram
	if q := h.Quantile(0.99); q != 0 {
		t.Errorf("empty histogram: p99 = %s, want 0", q)
	}
}

// Merging histograms is the histogram of all their samples: minutes add up
// to hours exactly.
func TestLatencyMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var all, sum LatencyHistogram
	for range 60 {
		var minute LatencyHistogram
		for range r.IntN(100) {
			d := time.Duration(r.Int64N(int64(time.Second)))
			minute.Add(d)
			all.Add(d)
		}
		sum.Merge(&minute)
	}
	if sum != all {
		t.Fatal("the merge of the minutes differs from the histogram of their samples")
	}
}

func TestLatencyBinaryRoundTrip(t *testing.T) {
	for _, durations := range [][]time.Duration{
		nil,
		{0},
		{time.Millisecond, time.Millisecond, 3 * time.Millisecond},
		{0, time.Microsecond, time.Hour, 15 * time.Minute, 42 * time.Millisecond},
	} {
		var h LatencyHistogram
		for _, d := range durations {
			h.Add(d)
		}
		b, _ := h.MarshalBinary()
		var back LatencyHistogram
		back[7] = 99 // replaced, not added to
		if err := back.UnmarshalBinary(b); err != nil || back != h {
			t.Errorf("%v: round trip: %v, equal %v", durations, err, back == h)
		}
	}
}

func TestLatencyUnmarshalRefuses(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":           {},
		"too many":        {0xff, 0xff, 0x01},
		"truncated":       {2, 1, 5},
		"zero count":      {1, 3, 0},
		"repeated bucket": {2, 3, 1, 0, 1},
		"out of range":    {1, 0xe0, 0x06, 1},
		"trailing":        {1, 3, 1, 9},
	} {
		var h LatencyHistogram
		if err := h.UnmarshalBinary(b); err == nil {
			t.Errorf("%s: % x decoded", name, b)
		}
	}
}

func BenchmarkLatencyAdd(b *testing.B) {
	var h LatencyHistogram
	for i := 0; b.Loop(); i++ {
		h.Add(time.Duration(i) * 1234)
	}
}
