package prometheus

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/lambdahq/lambda"
)

// functions is a FunctionStore that knows names only.
type functions struct {
	lambda.FunctionStore
	mu    sync.Mutex
	names []string
	err   error
}

func (f *functions) set(names ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.names = names
}

func (f *functions) ListFunctions(context.Context) ([]*lambda.Function, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []*lambda.Function
	for _, n := range f.names {
		out = append(out, &lambda.Function{Name: n})
	}
	return out, nil
}

type instances []*lambda.Instance

func (l instances) Instances(_ context.Context, name string) ([]*lambda.Instance, error) {
	return l, nil
}

type jobs struct {
	lambda.JobStore
	counts map[string]map[string]int
	due    map[string]time.Time
}

func (j jobs) CountJobs(context.Context) (map[string]map[string]int, error) { return j.counts, nil }
func (j jobs) DueJobs(context.Context) (map[string]time.Time, error)        { return j.due, nil }

func newMetrics(src Sources) *Metrics {
	m := New(prom.NewRegistry(), src)
	m.Logger = slog.New(slog.DiscardHandler)
	return m
}

// scrape fetches m's handler as a scraper does and parses the answer with
// the Prometheus text parser.
func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scrape: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse the scrape: %v", err)
	}
	return mfs
}

// find returns the metric of family name with exactly labels, nil if none.
func find(mfs map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	mf := mfs[name]
	if mf == nil {
		return nil
	}
next:
	for _, m := range mf.Metric {
		if len(m.Label) != len(labels) {
			continue
		}
		for _, l := range m.Label {
			if labels[l.GetName()] != l.GetValue() {
				continue next
			}
		}
		return m
	}
	return nil
}

func counter(mfs map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	if m := find(mfs, name, labels); m != nil {
		if m.Counter != nil {
			return m.Counter.GetValue()
		}
		return m.Gauge.GetValue()
	}
	return 0
}

func histogramCount(mfs map[string]*dto.MetricFamily, name, function string) uint64 {
	if m := find(mfs, name, map[string]string{"function": function}); m != nil {
		return m.Histogram.GetSampleCount()
	}
	return 0
}

func TestInvocationsCounted(t *testing.T) {
	fns := &functions{names: []string{"greet"}}
	m := newMetrics(Sources{Functions: fns})
	const n = 7
	for i := range n {
		m.ObserveInvocation(&lambda.Invocation{
			Function: "greet", Version: 2, Trigger: lambda.TriggerHTTP, Status: lambda.StatusSucceeded,
			Duration: 3 * time.Millisecond, QueueWait: time.Millisecond, Cold: i == 0, InitDuration: 400 * time.Millisecond,
		})
	}
	m.ObserveInvocation(&lambda.Invocation{Function: "greet", Version: 2, Trigger: lambda.TriggerAsync, Status: lambda.StatusFailed, ErrorType: lambda.ETIMEOUT, Duration: time.Second})
	// A throttle never reached an instance: counted, but its time is not
	// the function's.
	m.ObserveInvocation(&lambda.Invocation{Function: "greet", Trigger: lambda.TriggerHTTP, Status: lambda.StatusFailed, ErrorType: lambda.ETHROTTLED, Duration: 10 * time.Second})
	mfs := scrape(t, m)
	if got := counter(mfs, "lambda_invocations_total", map[string]string{"function": "greet", "trigger": "http", "result": "success"}); got != n {
		t.Errorf("http successes %v, want %d", got, n)
	}
	if got := counter(mfs, "lambda_invocations_total", map[string]string{"function": "greet", "trigger": "async", "result": "timeout"}); got != 1 {
		t.Errorf("async timeouts %v, want 1", got)
	}
	if got := counter(mfs, "lambda_invocations_total", map[string]string{"function": "greet", "trigger": "http", "result": "throttled"}); got != 1 {
		t.Errorf("http throttles %v, want 1", got)
	}
	if got := histogramCount(mfs, "lambda_invocation_duration_seconds", "greet"); got != n+1 {
		t.Errorf("durations observed %d, want %d", got, n+1)
	}
	if got := histogramCount(mfs, "lambda_queue_wait_seconds", "greet"); got != n+1 {
		t.Errorf("queue waits observed %d, want %d", got, n+1)
	}
	if got := counter(mfs, "lambda_cold_starts_total", map[string]string{"function": "greet"}); got != 1 {
		t.Errorf("cold starts %v, want 1", got)
	}
	cold := find(mfs, "lambda_cold_start_duration_seconds", map[string]string{"function": "greet"})
	if cold == nil || cold.Histogram.GetSampleCount() != 1 || cold.Histogram.GetSampleSum() != 0.4 {
		t.Errorf("cold start duration %v, want one of 0.4 s", cold)
	}
	// Buckets from 1 ms to 15 min.
	b := find(mfs, "lambda_invocation_duration_seconds", map[string]string{"function": "greet"}).Histogram.Bucket
	if b[len(b)-1].GetUpperBound() > 900 { // the parser adds +Inf
		b = b[:len(b)-1]
	}
	if first, last := b[0].GetUpperBound(), b[len(b)-1].GetUpperBound(); first != 0.001 || last != 900 {
		t.Errorf("duration buckets from %v to %v, want 0.001 to 900", first, last)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if mfs[name] == nil {
			t.Errorf("%s missing: the Go and process collectors are registered", name)
		}
	}
}

func TestResults(t *testing.T) {
	for _, tc := range []struct {
		status, errorType, want string
	}{
		{lambda.StatusSucceeded, "", ResultSuccess},
		{lambda.StatusFailed, lambda.EFUNCTION, ResultFunctionError},
		{lambda.StatusFailed, lambda.ETIMEOUT, ResultTimeout},
		{lambda.StatusFailed, lambda.ETHROTTLED, ResultThrottled},
		{lambda.StatusFailed, lambda.EUNAVAILABLE, ResultPlatformError},
		{lambda.StatusFailed, lambda.EINTERNAL, ResultPlatformError},
		{lambda.StatusFailed, "", ResultPlatformError},
		{lambda.StatusFailed, lambda.EUNAUTHORIZED, ResultClientError},
		{lambda.StatusFailed, lambda.EFORBIDDEN, ResultClientError},
		{lambda.StatusFailed, lambda.ECLIENTTIMEOUT, ResultClientError},
		{lambda.StatusFailed, "canceled", ResultCanceled},
	} {
		t.Run(tc.status+"/"+tc.errorType, func(t *testing.T) {
			inv := &lambda.Invocation{Function: "f", Trigger: lambda.TriggerInvoke, Status: tc.status, ErrorType: tc.errorType}
			if got := Result(inv); got != tc.want {
				t.Fatalf("Result = %q, want %q", got, tc.want)
			}
			m := newMetrics(Sources{})
			m.ObserveInvocation(inv)
			if got := counter(scrape(t, m), "lambda_invocations_total", map[string]string{"function": "f", "trigger": "invoke", "result": tc.want}); got != 1 {
				t.Errorf("counter of %s = %v, want 1", tc.want, got)
			}
		})
	}
}

func TestThrottles(t *testing.T) {
	m := newMetrics(Sources{})
	throttle := func(reason lambda.ThrottleReason) {
		m.ObserveInvocation(&lambda.Invocation{Function: "f", Trigger: lambda.TriggerHTTP, Status: lambda.StatusFailed, ErrorType: lambda.ETHROTTLED, ThrottleReason: reason})
	}
	throttle(lambda.ThrottleReserved)
	throttle(lambda.ThrottleReserved)
	throttle(lambda.ThrottleQueueFull)
	throttle("")
	m.ObserveInvocation(&lambda.Invocation{Function: "f", Trigger: lambda.TriggerHTTP, Status: lambda.StatusFailed, ErrorType: lambda.EFUNCTION})
	mfs := scrape(t, m)
	for reason, want := range map[string]float64{"reserved_concurrency": 2, "queue_full": 1, "other": 1, "queue_timeout": 0} {
		if got := counter(mfs, "lambda_throttles_total", map[string]string{"function": "f", "reason": reason}); got != want {
			t.Errorf("throttles for %s: %v, want %v", reason, got, want)
		}
	}
	if got := counter(mfs, "lambda_invocations_total", map[string]string{"function": "f", "trigger": "http", "result": "throttled"}); got != 4 {
		t.Errorf("throttled invocations %v, want 4", got)
	}
}

// asyncQueue refuses every submission as its store does past the limit.
type asyncQueue struct{ lambda.AsyncService }

func (asyncQueue) Submit(_ context.Context, req *lambda.InvokeRequest) (*lambda.Job, bool, error) {
	if req.Function == "missing" {
		return nil, false, lambda.Errorf(lambda.ENOTFOUND, "function %q not found", req.Function)
	}
	return nil, false, lambda.Errorf(lambda.ETHROTTLED, "function %q has 100000 queued invocations, its limit", req.Function)
}

func TestAsyncQueueFullIsAThrottle(t *testing.T) {
	m := newMetrics(Sources{})
	svc := AsyncService{AsyncService: asyncQueue{}, Metrics: m}
	for _, fn := range []string{"f", "f", "missing"} {
		if _, _, err := svc.Submit(context.Background(), &lambda.InvokeRequest{Function: fn}); err == nil {
			t.Fatal("the refusal was lost")
		}
	}
	mfs := scrape(t, m)
	if got := counter(mfs, "lambda_throttles_total", map[string]string{"function": "f", "reason": "async_queue_full"}); got != 2 {
		t.Errorf("async throttles %v, want 2", got)
	}
	if find(mfs, "lambda_throttles_total", map[string]string{"function": "missing", "reason": "async_queue_full"}) != nil {
		t.Error("an unknown function got a series")
	}
}

// hasFunction reports whether any series of the scrape names function.
func hasFunction(mfs map[string]*dto.MetricFamily, function string) []string {
	var found []string
	for name, mf := range mfs {
		for _, m := range mf.Metric {
			for _, l := range m.Label {
				if l.GetName() == "function" && l.GetValue() == function {
					found = append(found, name)
				}
			}
		}
	}
	return found
}

func TestDeletedFunctionSeriesGone(t *testing.T) {
	fns := &functions{names: []string{"keep", "drop"}}
	m := newMetrics(Sources{
		Functions: fns,
		Instances: instances{{Function: "drop", State: lambda.InstanceIdle}},
		Jobs:      jobs{counts: map[string]map[string]int{"drop": {"queued": 1}}},
	})
	inv := func(fn string, trigger lambda.Trigger) {
		m.ObserveInvocation(&lambda.Invocation{Function: fn, Version: 1, Trigger: trigger, Status: lambda.StatusSucceeded, Cold: true})
	}
	inv("keep", lambda.TriggerHTTP)
	inv("drop", lambda.TriggerHTTP)
	m.ObserveDeploy("drop", lambda.DeployPublished)
	m.ObserveInvocation(&lambda.Invocation{Function: "drop", Trigger: lambda.TriggerHTTP, Status: lambda.StatusFailed, ErrorType: lambda.ETHROTTLED})
	if got := hasFunction(scrape(t, m), "drop"); len(got) < 9 {
		t.Fatalf("before the delete, drop has series in %v", got)
	}
	stale := m.series("drop")

	fns.set("keep")
	mfs := scrape(t, m)
	if got := hasFunction(mfs, "drop"); len(got) != 0 {
		t.Errorf("after the delete, drop still has series in %v", got)
	}
	if counter(mfs, "lambda_invocations_total", map[string]string{"function": "keep", "trigger": "http", "result": "success"}) != 1 {
		t.Error("the delete of drop took keep's series")
	}
	// An invocation that was on its way when drop went does not bring
	// its series back.
	m.child(stale, &stale.invocations[1][0], func() prom.Counter { return m.invocations.WithLabelValues("drop", "invoke", "success") }).Inc()
	if got := hasFunction(scrape(t, m), "drop"); len(got) != 0 {
		t.Errorf("a late observation brought back drop's series in %v", got)
	}
	// A function of the same name deployed again starts afresh.
	fns.set("keep", "drop")
	inv("drop", lambda.TriggerInvoke)
	if got := counter(scrape(t, m), "lambda_invocations_total", map[string]string{"function": "drop", "trigger": "invoke", "result": "success"}); got != 1 {
		t.Errorf("the new drop's invocations: %v, want 1", got)
	}
}

// TestSweepKeepsNewFunctions: series made after the sweep listed the
// functions belong to a function that may have been created since.
func TestSweepKeepsNewFunctions(t *testing.T) {
	fns := &functions{}
	m := newMetrics(Sources{Functions: fns})
	m.gen.Add(1) // as Sweep does before it lists
	m.ObserveInvocation(&lambda.Invocation{Function: "new", Trigger: lambda.TriggerHTTP, Status: lambda.StatusSucceeded})
	m.fns.Range(func(_, v any) bool {
		if s := v.(*series); s.born < m.gen.Load() {
			t.Errorf("series made after the list are born %d, before %d", s.born, m.gen.Load())
		}
		return true
	})
	// The next sweep lists again and finds no such function.
	if err := m.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.fns.Load("new"); ok {
		t.Error("the next sweep kept a function that does not exist")
	}
}

func TestListFailureKeepsSeries(t *testing.T) {
	fns := &functions{names: []string{"f"}}
	m := newMetrics(Sources{Functions: fns})
	m.ObserveInvocation(&lambda.Invocation{Function: "f", Trigger: lambda.TriggerHTTP, Status: lambda.StatusSucceeded})
	fns.err = errors.New("database is locked")
	if got := counter(scrape(t, m), "lambda_invocations_total", map[string]string{"function": "f", "trigger": "http", "result": "success"}); got != 1 {
		t.Errorf("with the store failing the scrape lost f's counter: %v", got)
	}
}

func TestStateMetrics(t *testing.T) {
	now := time.Now()
	m := newMetrics(Sources{
		Functions: &functions{names: []string{"a", "b"}},
		Instances: instances{
			{Function: "a", State: lambda.InstanceIdle}, {Function: "a", State: lambda.InstanceIdle},
			{Function: "a", State: lambda.InstanceBusy}, {Function: "gone", State: lambda.InstanceDraining},
		},
		Jobs: jobs{
			counts: map[string]map[string]int{"a": {"queued": 3, "dead": 1}, "gone": {"queued": 9}},
			due:    map[string]time.Time{"a": now.Add(-90 * time.Second), "b": now.Add(time.Hour)},
		},
	})
	mfs := scrape(t, m)
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"lambda_instances", map[string]string{"function": "a", "state": "idle"}, 2},
		{"lambda_instances", map[string]string{"function": "a", "state": "busy"}, 1},
		{"lambda_instances", map[string]string{"function": "a", "state": "starting"}, 0},
		{"lambda_instances", map[string]string{"function": "b", "state": "idle"}, 0},
		{"lambda_async_jobs", map[string]string{"function": "a", "status": "queued"}, 3},
		{"lambda_async_jobs", map[string]string{"function": "a", "status": "dead"}, 1},
		{"lambda_async_jobs", map[string]string{"function": "b", "status": "queued"}, 0},
		{"lambda_async_oldest_age_seconds", map[string]string{"function": "b"}, 0},
	} {
		if find(mfs, tc.name, tc.labels) == nil {
			t.Errorf("%s%v missing", tc.name, tc.labels)
		} else if got := counter(mfs, tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if age := counter(mfs, "lambda_async_oldest_age_seconds", map[string]string{"function": "a"}); age < 90 || age > 120 {
		t.Errorf("oldest age of a: %v, want about 90 s", age)
	}
	if got := hasFunction(mfs, "gone"); len(got) != 0 {
		t.Errorf("a function not in the store has series in %v", got)
	}
}

func TestDeployMetrics(t *testing.T) {
	fns := &functions{names: []string{"f"}}
	m := newMetrics(Sources{Functions: fns})
	m.ObserveBuild("f", 12*time.Second)
	m.ObserveDeploy("f", lambda.DeployPublished)
	m.ObserveDeploy("f", lambda.DeployUnchanged)
	m.ObserveDeploy("f", lambda.DeployFailed)
	m.ObserveDeploy("new", lambda.DeployFailed) // its first deploy: it does not exist
	mfs := scrape(t, m)
	for result, want := range map[string]float64{"published": 1, "unchanged": 1, "failed": 1} {
		if got := counter(mfs, "lambda_deploys_total", map[string]string{"function": "f", "result": result}); got != want {
			t.Errorf("deploys %s: %v, want %v", result, got, want)
		}
	}
	if got := hasFunction(mfs, "new"); len(got) != 0 {
		t.Errorf("a function that never existed has series in %v", got)
	}
	if b := mfs["lambda_build_duration_seconds"]; b == nil || b.Metric[0].Histogram.GetSampleCount() != 1 || b.Metric[0].Histogram.GetSampleSum() != 12 {
		t.Errorf("build duration: %v, want one of 12 s", b)
	}
}

// TestObserveConcurrently runs observations, sweeps and scrapes at once,
// for the race detector, and checks no observation of a kept function is
// lost.
func TestObserveConcurrently(t *testing.T) {
	fns := &functions{names: []string{"f"}}
	m := newMetrics(Sources{Functions: fns})
	const workers, each = 4, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				m.ObserveInvocation(&lambda.Invocation{Function: "f", Trigger: triggers[(w+i)%len(triggers)], Status: lambda.StatusSucceeded})
				m.ObserveInvocation(&lambda.Invocation{Function: "tmp", Trigger: lambda.TriggerHTTP, Status: lambda.StatusSucceeded})
			}
		}()
	}
	for range 20 {
		if _, err := m.Gather(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	mfs := scrape(t, m)
	var total float64
	for _, tr := range triggers {
		total += counter(mfs, "lambda_invocations_total", map[string]string{"function": "f", "trigger": string(tr), "result": "success"})
	}
	if total != workers*each {
		t.Errorf("f's invocations %v, want %d", total, workers*each)
	}
}
