package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// The sparse histogram counts exactly what the dense one does, added and
// merged, so quantiles are those of lambda.LatencyHistogram to the bucket.
func TestLatencyMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		dur  func() time.Duration
	}{
		{"narrow", func() time.Duration { return time.Duration(2000+rng.IntN(3000)) * time.Microsecond }},
		{"wide", func() time.Duration { return time.Duration(rng.Int64N(int64(40 * time.Minute))) }},
		{"log-uniform", func() time.Duration { return time.Duration(math.Exp(rng.Float64()*28)) * time.Microsecond }},
		{"edges", func() time.Duration {
			return []time.Duration{0, -time.Second, time.Nanosecond, 31 * time.Microsecond, 32 * time.Microsecond, time.Hour}[rng.IntN(6)]
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dense, merged lambda.LatencyHistogram
			var a, b latency
			for i := range 20000 {
				d := tc.dur()
				dense.Add(d)
				if i%3 == 0 {
					b.add(d)
				} else {
					a.add(d)
				}
			}
			a.merge(&b)
			a.addTo(&merged)
			if merged != dense {
				t.Fatal("the sparse histogram's counts differ from the dense one's")
			}
			for i := 1; i < len(a.buckets); i++ {
				if a.buckets[i] <= a.buckets[i-1] {
					t.Fatalf("buckets out of order at %d: %d after %d", i, a.buckets[i], a.buckets[i-1])
				}
			}
			for _, q := range []float64{0.5, 0.95, 0.99, 1} {
				if got, want := merged.Quantile(q), dense.Quantile(q); got != want {
					t.Errorf("q%.2f: %s, want %s", q, got, want)
				}
			}
		})
	}
}

func TestLatencySaturates(t *testing.T) {
	var l latency
	l.addN(7, math.MaxUint32-1)
	l.addN(7, 5)
	if l.counts[0] != math.MaxUint32 {
		t.Errorf("count %d, want it held at the most 32 bits hold", l.counts[0])
	}
}

// A pooled minute does not keep a busy minute's arrays.
func TestLatencyResetDropsBigArrays(t *testing.T) {
	var l latency
	for b := range 300 {
		l.addN(b, 1)
	}
	l.reset()
	if l.bytes() != 0 {
		t.Errorf("%d bytes kept after a reset of 300 buckets", l.bytes())
	}
	l.addN(3, 1)
	l.reset()
	if len(l.buckets) != 0 || cap(l.buckets) == 0 {
		t.Errorf("a small histogram's arrays are not reused: len %d cap %d", len(l.buckets), cap(l.buckets))
	}
}

func TestSearch(t *testing.T) {
	for n := range 70 {
		a := make([]uint16, n)
		for i := range a {
			a[i] = uint16(3 * i)
		}
		for x := range uint16(3*n + 2) {
			want, _ := slices.BinarySearch(a, x)
			if got := search(a, x); got != want {
				t.Fatalf("search of %d in %d: %d, want %d", x, n, got, want)
			}
		}
	}
}
