package bench

import (
	"math"
	"slices"
	"time"
)

// Recorder collects latency samples. It is not safe for concurrent use:
// each load worker has its own, merged once the load ends, so recording
// takes no lock.
type Recorder struct {
	samples []time.Duration
	sorted  bool
}

// NewRecorder returns a Recorder with room for n samples, so that
// recording during a measurement does not allocate.
func NewRecorder(n int) *Recorder {
	return &Recorder{samples: make([]time.Duration, 0, n)}
}

// Record adds one sample.
func (r *Recorder) Record(d time.Duration) {
	r.samples = append(r.samples, d)
	r.sorted = false
}

// Merge adds every sample of o.
func (r *Recorder) Merge(o *Recorder) {
	r.samples = append(r.samples, o.samples...)
	r.sorted = false
}

// Count is the number of samples.
func (r *Recorder) Count() int { return len(r.samples) }

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100): the
// smallest sample at least p% of the samples are less than or equal to.
// It is 0 without samples.
func (r *Recorder) Percentile(p float64) time.Duration {
	n := len(r.samples)
	if n == 0 {
		return 0
	}
	if !r.sorted {
		slices.Sort(r.samples)
		r.sorted = true
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return r.samples[rank-1]
}

// Millis is d in milliseconds, rounded to the microsecond.
func Millis(d time.Duration) float64 {
	return round(float64(d)/float64(time.Millisecond), 3)
}

func round(v float64, digits int) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	m := math.Pow(10, float64(digits))
	return math.Round(v*m) / m
}

// ratio is a/b rounded, 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return round(a/b, 3)
}
