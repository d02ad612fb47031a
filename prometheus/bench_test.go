package prometheus

import (
	"testing"

	"github.com/lambdahq/lambda"
)

// BenchmarkObserveInvocation is the cost the metrics add to a warm
// request: go test ./prometheus -run X -bench Observe -benchmem.
func BenchmarkObserveInvocation(b *testing.B) {
	m := newMetrics(Sources{})
	inv := &lambda.Invocation{Function: "greet", Version: 1, Trigger: lambda.TriggerHTTP, Status: lambda.StatusSucceeded, Duration: 2e6, QueueWait: 3e3}
	m.ObserveInvocation(inv)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.ObserveInvocation(inv)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m.ObserveInvocation(inv)
			}
		})
	})
}

// BenchmarkWithLabelValues is what the cache saves: the vectors' lookup
// per observation.
func BenchmarkWithLabelValues(b *testing.B) {
	m := newMetrics(Sources{})
	b.ReportAllocs()
	for b.Loop() {
		m.invocations.WithLabelValues("greet", "http", "success").Inc()
		m.duration.WithLabelValues("greet").Observe(0.002)
		m.queueWait.WithLabelValues("greet").Observe(0.000003)
	}
}
