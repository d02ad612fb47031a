package stats

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// Invocations of a function answering in 1–5 ms: the histogram of its
// minute holds some 60 buckets, as a real one does.
func BenchmarkObserveInvocationSpread(b *testing.B) {
	r := New(newMemStore())
	end := time.Now()
	x := ok("greet", end, 3*time.Millisecond)
	durations := make([]time.Duration, 256)
	for i := range durations {
		durations[i] = time.Millisecond + time.Duration(i*i*61)*time.Nanosecond
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		x.Duration = durations[i%len(durations)]
		r.ObserveInvocation(x)
		i++
	}
}

// A minute of 5,000 functions invoked once, observed then flushed: the
// bytes a flush allocates are those of its batch, not a dense histogram a
// function.
func BenchmarkFlushManyFunctions(b *testing.B) {
	const functions = 5000
	r := New(discard{})
	now := t0
	r.Now = func() time.Time { return now }
	invs := make([]*lambda.Invocation, functions)
	for i := range invs {
		invs[i] = ok(fmt.Sprintf("fn-%05d", i), now, time.Millisecond)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, x := range invs {
			x.Start = now.Add(-x.Duration)
			r.ObserveInvocation(x)
		}
		now = now.Add(time.Minute)
		if err := r.Flush(context.Background(), false); err != nil {
			b.Fatal(err)
		}
	}
}

// discard is a lambda.StatsStore that keeps nothing.
type discard struct{ lambda.StatsStore }

func (discard) SaveStats(context.Context, []*lambda.StatsMinute, time.Time) error { return nil }
