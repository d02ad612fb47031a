package stats

import (
	"math"
	"slices"
	"time"

	"github.com/lambdahq/lambda"
)

// latency counts durations in the buckets of a lambda.LatencyHistogram but
// holds only the buckets that counted some, in order: 6 bytes a bucket in
// use instead of 6.9 KB for all 864. A function's minute mostly falls in a
// few dozen buckets, and most of 5,000 functions see a handful of
// invocations a minute. Adding is a binary search; a new bucket shifts the
// ones after it, which happens at most 864 times a minute.
type latency struct {
	buckets []uint16 // indexes in a LatencyHistogram, increasing
	// counts go with buckets. 32 bits hold a minute of one function:
	// overflowing them takes 71 million invocations a second.
	counts []uint32
}

// add counts d.
func (l *latency) add(d time.Duration) { l.addN(lambda.LatencyBucket(d), 1) }

// addN adds n to bucket b.
func (l *latency) addN(b int, n uint32) {
	i := search(l.buckets, uint16(b))
	if i < len(l.buckets) && l.buckets[i] == uint16(b) {
		l.counts[i] = satAdd(l.counts[i], n)
		return
	}
	l.buckets = slices.Insert(l.buckets, i, uint16(b))
	l.counts = slices.Insert(l.counts, i, n)
}

// search returns the index of the first of a at or above x. Its loop has
// no branch on the data: a minute's durations are random to the branch
// predictor, and slices.BinarySearch's mispredictions cost as much as the
// rest of an observation.
func search(a []uint16, x uint16) int {
	if len(a) == 0 {
		return 0
	}
	base, n := 0, len(a)
	for n > 1 {
		half := n / 2
		// All ones when a[base+half] < x: base moves past it then.
		below := (int(a[base+half]) - int(x)) >> 63
		base += half & below
		n -= half
	}
	if a[base] < x {
		base++
	}
	return base
}

func satAdd(a, b uint32) uint32 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxUint32
}

// merge adds o's counts to l's.
func (l *latency) merge(o *latency) {
	for i, b := range o.buckets {
		l.addN(int(b), o.counts[i])
	}
}

// addTo adds l's counts to h.
func (l *latency) addTo(h *lambda.LatencyHistogram) {
	for i, b := range l.buckets {
		h[b] += uint64(l.counts[i])
	}
}

// reset empties l. It keeps its arrays for the next minute unless they
// grew past what most minutes need: a pooled minute reused by a quiet
// function must not hold a busy one's memory.
func (l *latency) reset() {
	if cap(l.buckets) > reuseBuckets {
		*l = latency{}
		return
	}
	l.buckets, l.counts = l.buckets[:0], l.counts[:0]
}

const reuseBuckets = 128

// bytes is the memory l's arrays take.
func (l *latency) bytes() int { return 2*cap(l.buckets) + 4*cap(l.counts) }
