// Package prometheus exports the platform's metrics in the Prometheus
// format, on a registry of the platform's own: what every invocation did
// (an InvocationObserver), what deploys did (a DeployObserver), and, read
// at scrape time, the instances and the asynchronous queue.
//
// Label values are only names of existing functions and words of fixed
// sets: invocations of unknown functions are never observed, and a scrape
// first drops the series of functions that no longer exist.
package prometheus

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/lambdahq/lambda"
)

// Buckets, in seconds.
var (
	// durationBuckets span 1 ms to 15 min, Lambda's longest timeout.
	durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900}
	// waitBuckets start lower, for a warm request's wait of microseconds,
	// and end at an async job's 6 h of maximum event age.
	waitBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600}
	// buildBuckets span a cached rebuild to a slow first build.
	buildBuckets = []float64{.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800}
)

// Metrics holds the platform's metrics. Create it with New; it implements
// lambda.InvocationObserver and lambda.DeployObserver, and prom.Gatherer.
type Metrics struct {
	// Registry is the platform's own, never the global default.
	Registry *prom.Registry
	Logger   *slog.Logger
	// ScrapeTimeout bounds what a scrape reads from the store and the
	// engine.
	ScrapeTimeout time.Duration

	invocations   *prom.CounterVec   // function, trigger, result
	duration      *prom.HistogramVec // function
	coldStarts    *prom.CounterVec   // function
	coldDuration  *prom.HistogramVec // function
	queueWait     *prom.HistogramVec // function
	throttles     *prom.CounterVec   // function, reason
	deploys       *prom.CounterVec   // function, result
	versions      *prom.CounterVec   // function, version (version.go)
	buildDuration prom.Histogram
	byFunction    []*prom.MetricVec // every vector labelled by function

	src Sources

	// fns caches each function's series, so that observing an invocation
	// is one lock-free map read. mu serializes what is rare: creating a
	// function's series and forgetting them; gen numbers the sweeps, so
	// that a sweep never forgets series created after it listed the
	// functions.
	fns sync.Map // function name → *series
	mu  sync.Mutex
	gen atomic.Uint64
}

var (
	_ lambda.InvocationObserver = (*Metrics)(nil)
	_ lambda.DeployObserver     = (*Metrics)(nil)
	_ prom.Gatherer             = (*Metrics)(nil)
)

// Sources are what the scrape-time metrics read; each may be nil, and its
// metrics are then left out.
type Sources struct {
	// Functions names the functions that exist: labels of any other are
	// dropped at each scrape.
	Functions lambda.FunctionStore
	// Instances lists the instances (lambda_instances).
	Instances InstanceLister
	// Jobs counts the asynchronous jobs (lambda_async_*).
	Jobs lambda.JobStore
}

// InstanceLister lists instances: lambda.FunctionService's Instances.
type InstanceLister interface {
	Instances(ctx context.Context, name string) ([]*lambda.Instance, error)
}

// New returns the platform's metrics registered on reg, with the Go and
// process collectors, reading src at scrape time.
func New(reg *prom.Registry, src Sources) *Metrics {
	m := &Metrics{Registry: reg, Logger: slog.Default(), ScrapeTimeout: 5 * time.Second}
	m.invocations = prom.NewCounterVec(prom.CounterOpts{
		Name: "lambda_invocations_total",
		Help: "Finished invocations by function, trigger (http, invoke, api, cron, async) and result (success, function_error, timeout, throttled, platform_error, client_error, canceled).",
	}, []string{"function", "trigger", "result"})
	m.duration = prom.NewHistogramVec(prom.HistogramOpts{
		Name:    "lambda_invocation_duration_seconds",
		Help:    "Duration of invocations, from their arrival to the function's answer, waits for an instance included.",
		Buckets: durationBuckets,
	}, []string{"function"})
	m.coldStarts = prom.NewCounterVec(prom.CounterOpts{
		Name: "lambda_cold_starts_total",
		Help: "Invocations served by an instance started for them.",
	}, []string{"function"})
	m.coldDuration = prom.NewHistogramVec(prom.HistogramOpts{
		Name:    "lambda_cold_start_duration_seconds",
		Help:    "What a cold start cost its invocation: the wait for the instance started for it.",
		Buckets: durationBuckets,
	}, []string{"function"})
	m.queueWait = prom.NewHistogramVec(prom.HistogramOpts{
		Name:    "lambda_queue_wait_seconds",
		Help:    "Time invocations waited for an instance (and async jobs in the queue past their due time).",
		Buckets: waitBuckets,
	}, []string{"function"})
	m.throttles = prom.NewCounterVec(prom.CounterOpts{
		Name: "lambda_throttles_total",
		Help: "Invocations refused for want of capacity (429), by reason (reserved_concurrency, queue_full, queue_timeout, async_queue_full).",
	}, []string{"function", "reason"})
	m.deploys = prom.NewCounterVec(prom.CounterOpts{
		Name: "lambda_deploys_total",
		Help: "Deploys by result (published, unchanged, failed).",
	}, []string{"function", "result"})
	m.versions = newVersionsVec()
	m.buildDuration = prom.NewHistogram(prom.HistogramOpts{
		Name:    "lambda_build_duration_seconds",
		Help:    "Duration of the image builds of deploys that built one.",
		Buckets: buildBuckets,
	})
	m.byFunction = []*prom.MetricVec{
		m.invocations.MetricVec, m.duration.MetricVec, m.coldStarts.MetricVec, m.coldDuration.MetricVec,
		m.queueWait.MetricVec, m.throttles.MetricVec, m.deploys.MetricVec, m.versions.MetricVec,
	}
	m.src = src
	reg.MustRegister(
		m.invocations, m.duration, m.coldStarts, m.coldDuration, m.queueWait, m.throttles, m.deploys, m.versions, m.buildDuration,
		stateCollector{m},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}
