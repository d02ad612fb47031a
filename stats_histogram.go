package lambda

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"time"
)

// LatencyHistogram counts durations in log-linear buckets of microseconds,
// as HDR histograms do: below 32 µs one bucket per microsecond, above it
// 32 buckets per power of two, up to 2^31 µs (about 36 minutes, past
// Lambda's longest timeout); longer durations count in the last bucket. A
// quantile answers the middle of its bucket, within 1/64 (1.6 %) of the
// true value from 32 µs up and within half a microsecond below. Fixed
// buckets make histograms add up exactly, so minutes merge into hours.
type LatencyHistogram [LatencyBuckets]uint64

const (
	latencySubBits = 5
	latencySub     = 1 << latencySubBits // buckets per power of two
	latencyMaxExp  = 30                  // the last power of two: 2^30 µs
	// LatencyBuckets is the number of buckets of a LatencyHistogram.
	LatencyBuckets = (latencyMaxExp - latencySubBits + 2) * latencySub
)

// latencyBucket returns the bucket of d.
func latencyBucket(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	v := uint64(d / time.Microsecond)
	if v < latencySub {
		return int(v)
	}
	e := bits.Len64(v) - 1
	if e > latencyMaxExp {
		return LatencyBuckets - 1
	}
	sub := int(v>>(e-latencySubBits)) - latencySub
	return (e-latencySubBits+1)*latencySub + sub
}

// LatencyBucket returns the index of d's bucket in a LatencyHistogram: a
// sparse histogram kept elsewhere counts in the same buckets, so it adds
// into a LatencyHistogram exactly.
func LatencyBucket(d time.Duration) int { return latencyBucket(d) }

// latencyBounds returns the lowest value of bucket i and its width, in
// microseconds.
func latencyBounds(i int) (lo, width uint64) {
	if i < latencySub {
		return uint64(i), 1
	}
	e := i/latencySub + latencySubBits - 1
	sub := uint64(i % latencySub)
	return (latencySub + sub) << (e - latencySubBits), 1 << (e - latencySubBits)
}

// Add counts d.
func (h *LatencyHistogram) Add(d time.Duration) { h[latencyBucket(d)]++ }

// Merge adds o's counts to h's.
func (h *LatencyHistogram) Merge(o *LatencyHistogram) {
	for i, n := range o {
		h[i] += n
	}
}

// Count is the number of durations counted.
func (h *LatencyHistogram) Count() uint64 {
	var n uint64
	for _, c := range h {
		n += c
	}
	return n
}

// Quantile returns the duration q (0 < q ≤ 1) of the counted ones are at
// or below, to the histogram's precision; 0 when nothing was counted.
func (h *LatencyHistogram) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	// The rank of the answer, from 1, as the nearest-rank method has it.
	rank := uint64(q*float64(n) + 0.999999)
	rank = min(max(rank, 1), n)
	var seen uint64
	for i, c := range h {
		if seen += c; seen >= rank {
			lo, w := latencyBounds(i)
			return time.Duration(float64(lo)*float64(time.Microsecond) + float64(w)*float64(time.Microsecond)/2)
		}
	}
	return 0 // not reached: seen ends at n
}

// MarshalBinary encodes h sparsely: the number of non-empty buckets, then
// for each its distance from the previous one and its count, as uvarints.
// A minute of a function answering in a narrow band takes a few bytes.
func (h *LatencyHistogram) MarshalBinary() ([]byte, error) {
	var n uint64
	for _, c := range h {
		if c != 0 {
			n++
		}
	}
	b := binary.AppendUvarint(make([]byte, 0, 1+4*n), n)
	prev := 0
	for i, c := range h {
		if c != 0 {
			b = binary.AppendUvarint(b, uint64(i-prev))
			b = binary.AppendUvarint(b, c)
			prev = i
		}
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary encoded into h, replacing its
// counts. It refuses anything else, so a damaged row is an error, not a
// wrong chart.
func (h *LatencyHistogram) UnmarshalBinary(b []byte) error {
	*h = LatencyHistogram{}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > LatencyBuckets {
		return fmt.Errorf("latency histogram: bad bucket count")
	}
	b = b[k:]
	i := 0
	for j := uint64(0); j < n; j++ {
		delta, k := binary.Uvarint(b)
		if k <= 0 || delta > LatencyBuckets || (j > 0 && delta == 0) {
			return fmt.Errorf("latency histogram: bad bucket %d", j)
		}
		b = b[k:]
		c, k := binary.Uvarint(b)
		if k <= 0 || c == 0 {
			return fmt.Errorf("latency histogram: bad count of bucket %d", j)
		}
		b = b[k:]
		if i += int(delta); i >= LatencyBuckets {
			return fmt.Errorf("latency histogram: bucket %d out of range", i)
		}
		h[i] = c
	}
	if len(b) != 0 {
		return fmt.Errorf("latency histogram: %d bytes after the buckets", len(b))
	}
	return nil
}
