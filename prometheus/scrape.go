package prometheus

import (
	"context"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/lambdahq/lambda"
)

// Gather implements prom.Gatherer: it drops the series of functions that
// no longer exist, then gathers the registry. Scrape through it (Handler
// does), not through the registry, or a deleted function's series stay.
func (m *Metrics) Gather() ([]*dto.MetricFamily, error) {
	ctx, cancel := context.WithTimeout(context.Background(), m.ScrapeTimeout)
	defer cancel()
	if err := m.Sweep(ctx); err != nil {
		m.Logger.Warn("metrics: the functions could not be listed; series of deleted functions stay until a scrape can", "err", err)
	}
	return m.Registry.Gather()
}

// Sweep forgets the series of every function that is not in the store:
// deleted, or whose first deploy failed. Series made after the list is
// read are kept: their function may have been created since.
func (m *Metrics) Sweep(ctx context.Context) error {
	if m.src.Functions == nil {
		return nil
	}
	gen := m.gen.Add(1)
	exist, err := m.existing(ctx)
	if err != nil {
		return err
	}
	m.fns.Range(func(k, v any) bool {
		if s := v.(*series); s.born < gen && !exist[s.name] {
			m.forget(s)
		}
		return true
	})
	return nil
}

// existing returns the names of the functions in the store.
func (m *Metrics) existing(ctx context.Context) (map[string]bool, error) {
	fns, err := m.src.Functions.ListFunctions(ctx)
	if err != nil {
		return nil, err
	}
	exist := make(map[string]bool, len(fns))
	for _, fn := range fns {
		exist[fn.Name] = true
	}
	return exist, nil
}

// forget deletes s's series; observations still on their way to it are
// discarded.
func (m *Metrics) forget(s *series) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s.gone = true
	m.fns.CompareAndDelete(s.name, s)
	for _, v := range m.byFunction {
		v.DeletePartialMatch(prom.Labels{"function": s.name})
	}
}

// Descriptions of the metrics read at scrape time.
var (
	instancesDesc = prom.NewDesc("lambda_instances",
		"Instances (containers) of each function by state: starting, idle, busy, paused (standby), draining, stopped.",
		[]string{"function", "state"}, nil)
	asyncJobsDesc = prom.NewDesc("lambda_async_jobs",
		"Asynchronous invocations kept in the store, by status: queued, running, retrying, succeeded, failed, dead.",
		[]string{"function", "status"}, nil)
	asyncAgeDesc = prom.NewDesc("lambda_async_oldest_age_seconds",
		"How long the function's oldest due asynchronous invocation has waited to run (0: none waits).",
		[]string{"function"}, nil)
)

var instanceStates = []string{lambda.InstanceStarting, lambda.InstanceIdle, lambda.InstanceBusy, lambda.InstancePaused, lambda.InstanceDraining, lambda.InstanceStopped}

// stateCollector reads the instances and the queue at scrape time, within
// ScrapeTimeout. A source that fails leaves its metrics out of the scrape
// (logged) rather than failing the others.
type stateCollector struct{ m *Metrics }

func (c stateCollector) Describe(ch chan<- *prom.Desc) {
	ch <- instancesDesc
	ch <- asyncJobsDesc
	ch <- asyncAgeDesc
}

func (c stateCollector) Collect(ch chan<- prom.Metric) {
	m := c.m
	if m.src.Functions == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.ScrapeTimeout)
	defer cancel()
	exist, err := m.existing(ctx)
	if err != nil {
		m.Logger.Warn("metrics: list functions", "err", err)
		return
	}
	if m.src.Instances != nil {
		if err := collectInstances(ctx, m.src.Instances, exist, ch); err != nil {
			m.Logger.Warn("metrics: list instances", "err", err)
		}
	}
	if m.src.Jobs != nil {
		if err := collectJobs(ctx, m.src.Jobs, exist, time.Now(), ch); err != nil {
			m.Logger.Warn("metrics: count asynchronous invocations", "err", err)
		}
	}
}

// collectInstances counts every existing function's instances by state,
// zeros included, so that a function scaled to zero reads 0, not nothing.
func collectInstances(ctx context.Context, src InstanceLister, exist map[string]bool, ch chan<- prom.Metric) error {
	list, err := src.Instances(ctx, "")
	if err != nil {
		return err
	}
	counts := make(map[string]map[string]int, len(exist))
	for fn := range exist {
		counts[fn] = make(map[string]int, len(instanceStates))
	}
	for _, in := range list {
		if byState := counts[in.Function]; byState != nil {
			byState[in.State]++
		}
	}
	for fn, byState := range counts {
		for _, st := range instanceStates {
			ch <- prom.MustNewConstMetric(instancesDesc, prom.GaugeValue, float64(byState[st]), fn, st)
		}
	}
	return nil
}

// collectJobs counts every existing function's jobs by status and the age
// of its oldest due one.
func collectJobs(ctx context.Context, jobs lambda.JobStore, exist map[string]bool, now time.Time, ch chan<- prom.Metric) error {
	counts, err := jobs.CountJobs(ctx)
	if err != nil {
		return err
	}
	due, err := jobs.DueJobs(ctx)
	if err != nil {
		return err
	}
	for fn := range exist {
		for _, st := range lambda.InvocationStatuses {
			ch <- prom.MustNewConstMetric(asyncJobsDesc, prom.GaugeValue, float64(counts[fn][st]), fn, st)
		}
		var age float64
		if at, ok := due[fn]; ok && now.After(at) {
			age = now.Sub(at).Seconds()
		}
		ch <- prom.MustNewConstMetric(asyncAgeDesc, prom.GaugeValue, age, fn)
	}
	return nil
}
