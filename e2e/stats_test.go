package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// statsOf runs lambda stats NAME -o json with extra args.
func (s *server) statsOf(t *testing.T, name string, args ...string) *lambda.FunctionStats {
	t.Helper()
	res := s.mustLambda(append([]string{"stats", name, "-o", "json"}, args...)...)
	var st lambda.FunctionStats
	if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
		t.Fatalf("lambda stats -o json: %v\n%s", err, res.stdout)
	}
	return &st
}

// waitStats polls lambda stats until its total counts want invocations:
// observers run after the answer went out, so the last request's may lag.
func (s *server) waitStats(t *testing.T, name string, want int64, args ...string) *lambda.FunctionStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		st := s.statsOf(t, name, args...)
		if st.Total.Invocations >= want || ctx.Err() != nil {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestStats drives a function through the real server and reads its
// history back: successes, crashes (errors, then a cold start) and a
// throttle are counted in the current bucket and the total, with
// percentiles; the table prints; a bad window and an unknown function are
// refused in words that say what to do.
func TestStats(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("stats")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)

	const ok, crashes = 6, 2
	began := time.Now().Truncate(time.Minute)
	for i := range ok {
		if resp, body := s.request("GET", s.host(name), "/", nil); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
	}
	for range crashes {
		if resp, body := s.request("GET", s.host(name), "/crash", nil); resp.StatusCode < 500 {
			t.Fatalf("/crash: %d %s, want a 5xx", resp.StatusCode, body)
		}
		// Served by the instance started to replace the crashed one.
		if resp, body := s.request("GET", s.host(name), "/", nil); resp.StatusCode != 200 {
			t.Fatalf("after a crash: %d %s", resp.StatusCode, body)
		}
	}
	s.mustLambda("config", name, "--reserved-concurrency", "0")
	if resp, body := s.request("GET", s.host(name), "/", nil); resp.StatusCode != 429 {
		t.Fatalf("with reserved concurrency 0: %d %s, want 429", resp.StatusCode, body)
	}
	s.mustLambda("config", name, "--reserved-concurrency", "none")
	const total = ok + 2*crashes + 1

	st := s.waitStats(t, name, total)
	if st.Function != name || st.Window != "1h" || st.StepSeconds != 60 || len(st.Buckets) != 60 {
		t.Fatalf("window %s of %s: %d buckets of %ds, want 1h: 60 of 60s", st.Window, st.Function, len(st.Buckets), st.StepSeconds)
	}
	tot := st.Total
	if tot.Invocations != total || tot.Errors != crashes || tot.Throttles != 1 || tot.ColdStarts < 1 || tot.Timed != total-1 {
		t.Errorf("total %+v: want %d invocations, %d errors, 1 throttle, a cold start or more, %d timed", tot, total, crashes, total-1)
	}
	if tot.P50Ms <= 0 || tot.P95Ms < tot.P50Ms || tot.P99Ms < tot.P95Ms {
		t.Errorf("percentiles p50 %.3f ms, p95 %.3f, p99 %.3f: want 0 < p50 ≤ p95 ≤ p99", tot.P50Ms, tot.P95Ms, tot.P99Ms)
	}
	// The requests may straddle a minute, and the read may land in the
	// next one: every invocation is in a bucket from the minute they
	// began on, and the last bucket is the minute of the read.
	var sum, recent int64
	for _, b := range st.Buckets {
		sum += b.Invocations
		if !b.Start.Before(began) {
			recent += b.Invocations
		}
	}
	if last := st.Buckets[59]; sum != total || recent != total || time.Since(last.Start) > 2*time.Minute {
		t.Errorf("buckets add up to %d, %d of them from %s on (want %d); the last bucket starts %s: the current minute's are answered", sum, recent, began, total, last.Start)
	}
	if day := s.statsOf(t, name, "--window", "24h"); len(day.Buckets) != 48 || day.Total.Invocations != total {
		t.Errorf("24h: %d buckets, %d invocations; want 48, %d", len(day.Buckets), day.Total.Invocations, total)
	}

	table := s.mustLambda("stats", name).stdout
	for _, want := range []string{"requests  ", "p95       ", "START", "P95", "TOTAL"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table has no %q:\n%s", want, table)
		}
	}
	if !strings.ContainsAny(table, "▂▃▄▅▆▇█") {
		t.Errorf("no sparkline in:\n%s", table)
	}

	if res := s.lambda("stats", name, "--window", "2h"); res.code == 0 || !strings.Contains(res.stderr, "use 1h, 24h, 7d") {
		t.Errorf("--window 2h: exit %d, stderr %q", res.code, res.stderr)
	}
	if resp, body := s.request("GET", "", "/v1/functions/"+name+"/stats?window=2h", nil); resp.StatusCode != 400 || !strings.Contains(body, "use 1h, 24h, 7d") {
		t.Errorf("window=2h through the API: %d %s, want 400 listing the windows", resp.StatusCode, body)
	}
	unknown := fnName(t, "nostats")
	// A near name is suggested (issue 13) in place of the hint to list.
	if res := s.lambda("stats", unknown); res.code == 0 || !strings.Contains(res.stderr, "not found") || !strings.Contains(res.stderr, `did you mean "`+name+`"`) {
		t.Errorf("unknown function: exit %d, stderr %q", res.code, res.stderr)
	}
	if resp, _ := s.request("GET", "", "/v1/functions/"+unknown+"/stats", nil); resp.StatusCode != 404 {
		t.Errorf("unknown function through the API: %d, want 404", resp.StatusCode)
	}

	// A deleted function's history goes with it: a new one of the name
	// starts afresh.
	s.mustLambda("delete", name)
	if res := s.lambda("stats", name); res.code == 0 || !strings.Contains(res.stderr, "not found") {
		t.Errorf("deleted function: exit %d, stderr %q", res.code, res.stderr)
	}
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
	if st := s.statsOf(t, name); st.Total.Invocations != 0 {
		t.Errorf("the function deployed again under the name has %d invocations, want 0", st.Total.Invocations)
	}
}

// TestStatsSurviveRestart: a clean restart writes the current minute, and
// the restarted server answers the same history.
func TestStatsSurviveRestart(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t)
	name := s.fn("statsrestart")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
	const n = 5
	for i := range n {
		if resp, body := s.request("GET", s.host(name), "/", nil); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
	}
	before := s.waitStats(t, name, n)
	s.restart()
	after := s.statsOf(t, name)
	if before.Total.Invocations != n || after.Total.Invocations != n || after.Total.Timed != n || after.Total.P95Ms != before.Total.P95Ms {
		t.Errorf("before the restart %+v, after %+v: want %d invocations and the same p95", before.Total, after.Total, n)
	}
}
