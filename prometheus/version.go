package prometheus

import (
	"strconv"

	prom "github.com/prometheus/client_golang/prometheus"
)

// newVersionsVec counts invocations by the version that served them, so
// that an alias's split (a canary) shows in the metrics as it does in
// X-Lambda-Version. Apart from lambda_invocations_total, whose series a
// version label would multiply by trigger and result.
func newVersionsVec() *prom.CounterVec {
	return prom.NewCounterVec(prom.CounterOpts{
		Name: "lambda_version_invocations_total",
		Help: "Invocations an instance served, by function and version (an alias's split shows here).",
	}, []string{"function", "version"})
}

// versionCounter returns the counter of s's function's version v, making
// it on first use: one lock-free map read after that.
func (m *Metrics) versionCounter(s *series, v int) prom.Counter {
	if c, ok := s.versions.Load(v); ok {
		return c.(prom.Counter)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := s.versions.Load(v); ok {
		return c.(prom.Counter)
	}
	if s.gone {
		return discard
	}
	c := m.versions.WithLabelValues(s.name, strconv.Itoa(v))
	s.versions.Store(v, c)
	return c
}
