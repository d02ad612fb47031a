package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// requiredKeys are the figures issue 4 asks `lambda bench --json` for.
var requiredKeys = []string{
	"warm.direct_p50_ms", "warm.gateway_p50_ms", "warm.added_p50_ms", "warm.direct_rps",
	"warm.gateway_rps", "warm.rps_ratio", "cold.bare_p50_ms", "cold.gateway_p50_ms", "cold.ratio", "cold.paused_p50_ms",
	"stdio.per_call_rps", "stdio.pool_rps", "stdio.ratio", "scale.containers_per_s",
	"scale.bare_containers_per_s", "scale.ratio",
	"machine.cores", "machine.docker_version", "machine.go_version",
	// issue 10
	"async.enqueue_per_s", "async.dispatch_p50_ms", "async.dispatch_p99_ms", "async.throughput_ratio",
	"async.sync_rps", "async.async_per_s", "async.sync_api_rps", "async.api_ratio",
	// issue 14 §3
	"deploy.redeploy_python_s", "deploy.redeploy_node_s", "deploy.redeploy_go_s", "deploy.first_go_s",
}

func sampleReport() *Report {
	r := &Report{
		Mode: "quick", Date: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), DurationS: 42,
		Machine: Machine{Cores: 2, OS: "linux", Arch: "amd64", GoVersion: "go1.26", DockerVersion: "20.10.24"},
		Warm: Warm{DirectP50Ms: 0.1, DirectP99Ms: 0.3, GatewayP50Ms: 0.25, GatewayP99Ms: 0.6, AddedP50Ms: 0.15, AddedP99Ms: 0.3,
			LatencySamples: 2000, DirectRPS: 10000, GatewayRPS: 8500, RPSRatio: 0.85, Concurrency: 32},
		Cold:   Cold{BareP50Ms: 300, BareP99Ms: 400, GatewayP50Ms: 360, GatewayP99Ms: 500, Ratio: 1.2, BareSamples: 5, GatewaySamples: 5, PausedP50Ms: 12, PausedP99Ms: 20, PausedSamples: 5},
		Stdio:  Stdio{PerCallRPS: 5, PoolRPS: 600, Ratio: 120, Concurrency: 4},
		Scale:  Scale{Instances: 5, Rounds: 1, SecondsP50: 1.25, ContainersPerS: 4, BareSecondsP50: 1, BareContainersPerS: 5, Ratio: 0.8},
		Deploy: Deploy{FirstGoS: 3.5, RedeployGoS: 3.25, RedeployPythonS: 1.75, RedeployNodeS: 2.25, Samples: 3},
		Async: Async{EnqueuePerS: 2400, EnqueueP50Ms: 12, EnqueueP99Ms: 30, Enqueued: 6000, DispatchP50Ms: 6.5, DispatchP99Ms: 11,
			SubmitToRunP50Ms: 9, DispatchSamples: 40, SyncRPS: 7000, AsyncPerS: 3675, ThroughputRatio: 0.525, SyncAPIRPS: 4900, APIRatio: 0.75, JobsPerRound: 2000,
			Concurrency: 32, Rounds: 3},
	}
	r.evaluate()
	return r
}

// lookup follows a dotted path through decoded JSON objects.
func lookup(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func TestReportJSONKeys(t *testing.T) {
	b, err := json.Marshal(sampleReport())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range requiredKeys {
		v, ok := lookup(doc, k)
		if !ok {
			t.Errorf("key %s missing from %s", k, b)
			continue
		}
		switch v.(type) {
		case float64, string:
		default:
			t.Errorf("key %s is %T, want a number or a string", k, v)
		}
	}
	if v, _ := lookup(doc, "warm.rps_ratio"); v != 0.85 {
		t.Errorf("warm.rps_ratio = %v, want 0.85", v)
	}
}

func TestTargets(t *testing.T) {
	r := sampleReport()
	want := map[string]bool{
		"warm.rps_ratio": true, "warm.added_p50_ms": true, "cold.ratio": false, "stdio.ratio": true,
		"async.enqueue_per_s": true, "async.dispatch_p50_ms": false, "async.throughput_ratio": true,
		"cold.paused_p50_ms": true, "scale.containers_per_s": false,
		"deploy.redeploy_python_s": true, "deploy.redeploy_node_s": false, "deploy.redeploy_go_s": false, "deploy.first_go_s": true,
	}
	if len(r.Targets) != len(want) {
		t.Fatalf("%d targets, want %d", len(r.Targets), len(want))
	}
	for _, tg := range r.Targets {
		if met, ok := want[tg.Figure]; !ok || tg.Met != met {
			t.Errorf("target %s met=%v, want %v", tg.Figure, tg.Met, met)
		}
	}
	if v := r.Targets[2].Verdict(); v != "missed by 0.450" {
		t.Errorf("cold verdict = %q", v)
	}
	if v := r.Targets[5].Verdict(); r.Targets[5].Figure != "async.dispatch_p50_ms" || v != "missed by 1.50" {
		t.Errorf("%s verdict = %q", r.Targets[5].Figure, v)
	}
}

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTable(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"WARM", "COLD", "STDIO", "SCALE", "TARGETS", "0.250 ms", "+0.150 ms", "0.850×", "1.20×", "120×", "missed by 0.450", "Docker 20.10.24",
		"ASYNC", "6.50 ms", "11.0 ms", "2400", "3675", "0.525× of sync", "(40 events, idle queue)", "(3 rounds of 2000 events)", "4900", "0.750× of it",
		"SCALE: 5 instances started in parallel against as many bare Docker starts (p50 of 1 rounds)", "0.800×",
		"DEPLOY", "(p50 of 3)", "3.50 s", "3.25 s", "1.75 s", "missed by 0.250"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
