package bench

import (
	"math"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * time.Millisecond // descending: Percentile must sort
	}
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample", []time.Duration{7}, 50, 7},
		{"one sample p99", []time.Duration{7}, 99, 7},
		{"two samples p50 is the lower", []time.Duration{2, 1}, 50, 1},
		{"two samples p99 is the upper", []time.Duration{2, 1}, 99, 2},
		{"1..100 p50", hundred, 50, 50 * time.Millisecond},
		{"1..100 p99", hundred, 99, 99 * time.Millisecond},
		{"1..100 p100", hundred, 100, 100 * time.Millisecond},
		{"1..100 p1", hundred, 1, time.Millisecond},
		{"p0 is the minimum", hundred, 0, time.Millisecond},
		{"three samples p50", []time.Duration{30, 10, 20}, 50, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRecorder(len(tt.samples))
			for _, s := range tt.samples {
				r.Record(s)
			}
			if got := r.Percentile(tt.p); got != tt.want {
				t.Errorf("Percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestRecorderMergeAfterSort(t *testing.T) {
	a, b := NewRecorder(0), NewRecorder(0)
	a.Record(5)
	a.Record(1)
	if a.Percentile(100) != 5 {
		t.Fatal("max of a")
	}
	b.Record(9)
	a.Merge(b)
	a.Record(0)
	if a.Count() != 4 || a.Percentile(100) != 9 || a.Percentile(1) != 0 {
		t.Errorf("after merge: count %d, max %v, min %v; want 4, 9, 0", a.Count(), a.Percentile(100), a.Percentile(1))
	}
}

func TestRecordDoesNotAllocate(t *testing.T) {
	r := NewRecorder(1000)
	allocs := testing.AllocsPerRun(100, func() { r.Record(time.Millisecond) })
	if allocs != 0 {
		t.Errorf("Record allocates %v times per call within capacity", allocs)
	}
}

func TestMillisAndRatio(t *testing.T) {
	if got := Millis(1234567 * time.Nanosecond); got != 1.235 {
		t.Errorf("Millis = %v, want 1.235", got)
	}
	if got := ratio(1, 3); got != 0.333 {
		t.Errorf("ratio(1, 3) = %v", got)
	}
	if got := ratio(1, 0); got != 0 {
		t.Errorf("ratio(1, 0) = %v, want 0", got)
	}
	if got := round(math.NaN(), 2); got != 0 {
		t.Errorf("round(NaN) = %v, want 0 (JSON cannot carry NaN)", got)
	}
}
