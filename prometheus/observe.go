package prometheus

import (
	"sync"
	"sync/atomic"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"

	"github.com/lambdahq/lambda"
)

// Results of an invocation, the result label of lambda_invocations_total.
const (
	ResultSuccess       = "success"
	ResultFunctionError = "function_error" // the function failed: error, 5xx, crash
	ResultTimeout       = "timeout"        // the function ran past its timeout
	ResultThrottled     = "throttled"      // no capacity (429)
	ResultPlatformError = "platform_error" // the platform failed: Docker down, internal error
	// ResultClientError: the caller was refused before the function ran,
	// e.g. no valid key for a private function.
	ResultClientError = "client_error"
	// ResultCanceled: the caller went away before the function answered.
	ResultCanceled = "canceled"
)

// results and triggers index the invocation counters of a function.
var (
	results  = [...]string{ResultSuccess, ResultFunctionError, ResultTimeout, ResultThrottled, ResultPlatformError, ResultClientError, ResultCanceled}
	triggers = [...]lambda.Trigger{lambda.TriggerHTTP, lambda.TriggerInvoke, lambda.TriggerAPI, lambda.TriggerCron, lambda.TriggerAsync}
	reasons  = [...]lambda.ThrottleReason{lambda.ThrottleReserved, lambda.ThrottleQueueFull, lambda.ThrottleQueueTimeout, lambda.ThrottleAsyncQueueFull, reasonOther}
)

// reasonOther counts a throttle whose error gave no reason.
const reasonOther lambda.ThrottleReason = "other"

// errorTypeCanceled is the invoker's ErrorType of a caller gone away.
const errorTypeCanceled = "canceled"

// resultIndex maps an invocation to its result.
func resultIndex(inv *lambda.Invocation) int {
	if inv.Status == lambda.StatusSucceeded {
		return 0
	}
	switch inv.ErrorType {
	case lambda.EFUNCTION, lambda.EOUTOFMEMORY:
		return 1
	case lambda.ETIMEOUT:
		return 2
	case lambda.ETHROTTLED:
		return 3
	case lambda.EUNAUTHORIZED, lambda.EFORBIDDEN, lambda.EINVALID, lambda.ETOOLARGE, lambda.ECLIENTTIMEOUT, lambda.ENOTFOUND:
		return 5
	case errorTypeCanceled:
		return 6
	}
	return 4
}

// Result names an invocation's outcome as the result label does.
func Result(inv *lambda.Invocation) string { return results[resultIndex(inv)] }

func triggerIndex(t lambda.Trigger) int {
	for i := range triggers {
		if triggers[i] == t {
			return i
		}
	}
	return -1
}

func reasonIndex(r lambda.ThrottleReason) int {
	for i, x := range reasons[:len(reasons)-1] {
		if x == r {
			return i
		}
	}
	return len(reasons) - 1
}

// series are one function's children of the vectors, so that observing
// an invocation takes no lock: the vectors' With takes a read lock and
// hashes the labels on every call. The per-function ones are made with the
// series; those of a trigger, result or reason the first time it happens.
type series struct {
	name string
	born uint64 // the sweep generation it was made in
	gone bool   // forgotten: make no more children (guarded by Metrics.mu)

	duration, coldDuration, queueWait prom.Observer
	coldStarts                        prom.Counter

	invocations [len(triggers)][len(results)]atomic.Pointer[prom.Counter]
	throttles   [len(reasons)]atomic.Pointer[prom.Counter]
	deploys     [len(deployResults)]atomic.Pointer[prom.Counter]
	versions    sync.Map // version number → prom.Counter (version.go)
}

// discard takes the observations of a function forgotten while they were
// on their way: they must not bring its series back.
var discard prom.Counter = prom.NewCounter(prom.CounterOpts{Name: "discarded"})

// series returns function's series, making them on first use.
func (m *Metrics) series(function string) *series {
	if s, ok := m.fns.Load(function); ok {
		return s.(*series)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.fns.Load(function); ok {
		return s.(*series)
	}
	s := &series{
		name:         function,
		born:         m.gen.Load(),
		duration:     m.duration.WithLabelValues(function),
		coldDuration: m.coldDuration.WithLabelValues(function),
		queueWait:    m.queueWait.WithLabelValues(function),
		coldStarts:   m.coldStarts.WithLabelValues(function),
	}
	m.fns.Store(function, s)
	return s
}

// child returns the counter in slot, making it with newCounter on first
// use.
func (m *Metrics) child(s *series, slot *atomic.Pointer[prom.Counter], newCounter func() prom.Counter) prom.Counter {
	if c := slot.Load(); c != nil {
		return *c
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := slot.Load(); c != nil {
		return *c
	}
	if s.gone {
		return discard
	}
	c := newCounter()
	slot.Store(&c)
	return c
}

// ObserveInvocation implements lambda.InvocationObserver. It runs on the
// request's goroutine: one map read, then atomic adds.
func (m *Metrics) ObserveInvocation(inv *lambda.Invocation) {
	s := m.series(inv.Function)
	r := resultIndex(inv)
	if t := triggerIndex(inv.Trigger); t >= 0 {
		m.child(s, &s.invocations[t][r], func() prom.Counter {
			return m.invocations.WithLabelValues(s.name, string(inv.Trigger), results[r])
		}).Inc()
	}
	if r == 3 {
		m.throttled(s, inv.ThrottleReason)
	}
	if inv.Version == 0 {
		// No instance served it (throttled, refused, Docker down): its
		// time says nothing of the function's, and it is counted above.
		return
	}
	m.versionCounter(s, inv.Version).Inc()
	s.duration.Observe(inv.Duration.Seconds())
	s.queueWait.Observe(inv.QueueWait.Seconds())
	if inv.Cold {
		s.coldStarts.Inc()
		s.coldDuration.Observe(inv.InitDuration.Seconds())
	}
}

// throttled counts a throttle of s's function.
func (m *Metrics) throttled(s *series, reason lambda.ThrottleReason) {
	i := reasonIndex(reason)
	m.child(s, &s.throttles[i], func() prom.Counter {
		return m.throttles.WithLabelValues(s.name, string(reasons[i]))
	}).Inc()
}

var deployResults = [...]string{lambda.DeployPublished, lambda.DeployUnchanged, lambda.DeployFailed}

// ObserveDeploy implements lambda.DeployObserver. A failed first deploy
// is counted until the next scrape drops it: its function does not exist.
func (m *Metrics) ObserveDeploy(function, result string) {
	i := 2
	for j, r := range deployResults {
		if r == result {
			i = j
		}
	}
	s := m.series(function)
	m.child(s, &s.deploys[i], func() prom.Counter {
		return m.deploys.WithLabelValues(function, deployResults[i])
	}).Inc()
}

// ObserveBuild implements lambda.DeployObserver.
func (m *Metrics) ObserveBuild(_ string, took time.Duration) {
	m.buildDuration.Observe(took.Seconds())
}
