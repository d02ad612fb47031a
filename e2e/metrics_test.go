package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// metricsScrape is one scrape of /metrics, parsed with the Prometheus text
// parser.
type metricsScrape map[string]*dto.MetricFamily

// scrapeMetrics GETs /metrics with authorization (none when "") and
// parses it; it fails the test on anything but 200.
func scrapeMetrics(t *testing.T, s *server, authorization string) metricsScrape {
	t.Helper()
	req, err := http.NewRequest("GET", s.url("/metrics"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want the text format", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return mfs
}

// metric returns the series of family name with exactly labels, nil if
// none.
func (m metricsScrape) metric(name string, labels ...string) *dto.Metric {
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	mf := m[name]
	if mf == nil {
		return nil
	}
next:
	for _, x := range mf.Metric {
		if len(x.Label) != len(want) {
			continue
		}
		for _, l := range x.Label {
			if want[l.GetName()] != l.GetValue() {
				continue next
			}
		}
		return x
	}
	return nil
}

// value is a counter's or gauge's value, or a histogram's count; 0 when
// the series does not exist.
func (m metricsScrape) value(name string, labels ...string) float64 {
	x := m.metric(name, labels...)
	switch {
	case x == nil:
		return 0
	case x.Counter != nil:
		return x.Counter.GetValue()
	case x.Gauge != nil:
		return x.Gauge.GetValue()
	case x.Histogram != nil:
		return float64(x.Histogram.GetSampleCount())
	}
	return 0
}

// seriesOf lists the families with a series labelled function=name.
func (m metricsScrape) seriesOf(name string) []string {
	var out []string
	for family, mf := range m {
		for _, x := range mf.Metric {
			for _, l := range x.Label {
				if l.GetName() == "function" && l.GetValue() == name {
					out = append(out, family)
				}
			}
		}
	}
	return out
}

// TestMetrics drives a function through the real server and checks that
// /metrics, parsed as Prometheus parses it, moved as it should: N requests
// move the invocation counter by N, a cold start after scale-to-zero moves
// the cold-start counter, a 429 moves the throttle counter, and a deleted
// function's series disappear.
func TestMetrics(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("metrics")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
	fn := func(labels ...string) []string { return append([]string{"function", name}, labels...) }

	before := scrapeMetrics(t, s, "")
	if got := before.value("lambda_deploys_total", fn("result", "published")...); got != 1 {
		t.Errorf("deploys published: %v, want 1", got)
	}
	if got := before.value("lambda_instances", fn("state", "idle")...); got != 1 {
		t.Errorf("idle instances after the deploy: %v, want 1 (the deploy warms one)", got)
	}
	for _, family := range []string{"go_goroutines", "process_cpu_seconds_total", "lambda_build_duration_seconds"} {
		if before[family] == nil {
			t.Errorf("%s missing", family)
		}
	}

	const n = 7
	for i := range n {
		if resp, body := s.request("GET", s.host(name), "/", nil); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
	}
	s.mustLambda("invoke", name, "--data", `{"k":1}`)
	s.mustLambda("invoke", name, "--async", "--wait", "--data", `{"k":2}`)
	after := scrapeMetrics(t, s, "")
	for _, tc := range []struct {
		trigger string
		want    float64
	}{{"http", n}, {"invoke", 1}, {"async", 1}} {
		got := after.value("lambda_invocations_total", fn("trigger", tc.trigger, "result", "success")...) -
			before.value("lambda_invocations_total", fn("trigger", tc.trigger, "result", "success")...)
		if got != tc.want {
			t.Errorf("%s successes moved by %v, want %v", tc.trigger, got, tc.want)
		}
	}
	if got := after.value("lambda_invocation_duration_seconds", fn()...) - before.value("lambda_invocation_duration_seconds", fn()...); got != n+2 {
		t.Errorf("durations observed: %v more, want %d", got, n+2)
	}
	if got := after.value("lambda_async_jobs", fn("status", "succeeded")...); got != 1 {
		t.Errorf("async jobs succeeded: %v, want 1", got)
	}

	// A 429: the function is disabled by a reserved concurrency of 0.
	s.mustLambda("config", name, "--reserved-concurrency", "0")
	if resp, body := s.request("GET", s.host(name), "/", nil); resp.StatusCode != 429 {
		t.Fatalf("with reserved concurrency 0: %d %s, want 429", resp.StatusCode, body)
	}
	s.mustLambda("config", name, "--reserved-concurrency", "none")
	throttled := scrapeMetrics(t, s, "")
	if got := throttled.value("lambda_throttles_total", fn("reason", "reserved_concurrency")...) - after.value("lambda_throttles_total", fn("reason", "reserved_concurrency")...); got != 1 {
		t.Errorf("throttles moved by %v, want 1", got)
	}
	if got := throttled.value("lambda_invocations_total", fn("trigger", "http", "result", "throttled")...); got != 1 {
		t.Errorf("throttled invocations: %v, want 1", got)
	}

	// A cold start after scale-to-zero.
	s.mustLambda("config", name, "--idle-timeout", "1s", "--standby-timeout", "0")
	waitFor(t, 15*time.Second, func() bool { return len(s.containers(name, false)) == 0 })
	if got := scrapeMetrics(t, s, "").value("lambda_instances", fn("state", "idle")...); got != 0 {
		t.Errorf("idle instances after scale-to-zero: %v, want 0", got)
	}
	resp, body := s.request("GET", s.host(name), "/", nil)
	if resp.StatusCode != 200 || resp.Header.Get("X-Lambda-Cold-Start") != "true" {
		t.Fatalf("after scale to zero: %d cold=%q %s", resp.StatusCode, resp.Header.Get("X-Lambda-Cold-Start"), body)
	}
	cold := scrapeMetrics(t, s, "")
	if got := cold.value("lambda_cold_starts_total", fn()...) - throttled.value("lambda_cold_starts_total", fn()...); got != 1 {
		t.Errorf("cold starts moved by %v, want 1", got)
	}
	if h := cold.metric("lambda_cold_start_duration_seconds", fn()...); h == nil || h.Histogram.GetSampleCount() < 1 || h.Histogram.GetSampleSum() <= 0 {
		t.Errorf("cold start duration: %v, want the start's cost observed", h)
	}

	s.mustLambda("delete", name)
	if got := scrapeMetrics(t, s, "").seriesOf(name); len(got) != 0 {
		t.Errorf("after the delete, %s still has series in %v", name, got)
	}
}

// TestMetricsKeyAndAsyncThrottles, on a server of its own (two server
// flags): with --metrics-key (here its env var) a scrape needs the key as a
// Bearer token, and an API key does not do; a submission past
// --max-queued-jobs (429) counts as a throttle with reason
// async_queue_full, and the queued job's attempts, refused by a reserved
// concurrency of 0, as throttles of trigger async.
func TestMetricsKeyAndAsyncThrottles(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	const key = "e2e-scraper-secret"
	s := startServer(t, "LAMBDA_METRICS_KEY="+key, "LAMBDA_MAX_QUEUED_JOBS=1")
	for _, authorization := range []string{"", "Bearer wrong", "Bearer " + s.apiKey} {
		req, _ := http.NewRequest("GET", s.url("/metrics"), nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("scrape with %q: %d, want 401 with a challenge", authorization, resp.StatusCode)
		}
	}
	if m := scrapeMetrics(t, s, "Bearer "+key); m["go_goroutines"] == nil {
		t.Error("the scrape with the key has no go_goroutines")
	}

	name := s.fn("metrics-async")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
	s.mustLambda("config", name, "--reserved-concurrency", "0")
	if status, _, body := submitAsync(s, name, []byte(`{"n":1}`), nil); status != http.StatusAccepted {
		t.Fatalf("first submission: %d %s", status, body)
	}
	// The limit counts jobs waiting to run: the first may be running (its
	// throttled attempt in flight) when the second arrives, so the queue is
	// full by the second or the third submission, never later.
	refused, accepted := false, 1
	for n := 2; n <= 3 && !refused; n++ {
		status, _, body := submitAsync(s, name, []byte(`{"n":`+strconv.Itoa(n)+`}`), nil)
		switch status {
		case http.StatusTooManyRequests:
			refused = true
		case http.StatusAccepted:
			accepted++
		default:
			t.Fatalf("submission %d: %d %s", n, status, body)
		}
	}
	if !refused {
		t.Fatal("three submissions past --max-queued-jobs 1 were all accepted, want a 429")
	}
	fn := func(labels ...string) []string { return append([]string{"function", name}, labels...) }
	var m metricsScrape
	waitFor(t, 20*time.Second, func() bool {
		m = scrapeMetrics(t, s, "Bearer "+key)
		return m.value("lambda_invocations_total", fn("trigger", "async", "result", "throttled")...) >= 1
	})
	if got := m.value("lambda_throttles_total", fn("reason", "async_queue_full")...); got != 1 {
		t.Errorf("async_queue_full throttles: %v, want 1", got)
	}
	if got := m.value("lambda_throttles_total", fn("reason", "reserved_concurrency")...); got < 1 {
		t.Errorf("reserved_concurrency throttles: %v, want the async attempts counted", got)
	}
	if pending := m.value("lambda_async_jobs", fn("status", "queued")...) + m.value("lambda_async_jobs", fn("status", "retrying")...) +
		m.value("lambda_async_jobs", fn("status", "running")...); pending != float64(accepted) {
		t.Errorf("pending async jobs: %v, want the %d acknowledged", pending, accepted)
	}
	s.mustLambda("delete", name)
}
