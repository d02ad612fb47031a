package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchKeys are the figures `lambda bench --json` must report (issue 4).
var benchKeys = []string{
	"warm.direct_p50_ms", "warm.gateway_p50_ms", "warm.added_p50_ms", "warm.direct_rps",
	"warm.gateway_rps", "warm.rps_ratio", "cold.bare_p50_ms", "cold.gateway_p50_ms", "cold.ratio",
	"stdio.per_call_rps", "stdio.pool_rps", "stdio.ratio", "scale.containers_per_s",
	"machine.cores",
	// issue 10
	"async.enqueue_per_s", "async.dispatch_p50_ms", "async.dispatch_p99_ms", "async.submit_to_run_p50_ms",
	"async.sync_rps", "async.async_per_s", "async.throughput_ratio", "async.sync_api_rps", "async.api_ratio",
	// issue 11: the gateway's CPU per warm request, the load generator's subtracted
	"warm.direct_cpu_us_per_req", "warm.gateway_cpu_us_per_req",
	// issue 14: a request resuming a paused instance; scale-out against bare Docker
	"cold.paused_p50_ms", "scale.bare_containers_per_s", "scale.ratio",
	// issue 14 §3: deploys with warm caches, until the new code serves
	"deploy.first_go_s", "deploy.redeploy_go_s", "deploy.redeploy_python_s", "deploy.redeploy_node_s",
}

// TestBenchQuick runs the quick bench against real Docker. Its figures are
// logged, never compared with the targets: they depend on the machine.
func TestBenchQuick(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	// The quick run takes about 3 minutes on a quiet machine; a loaded one
	// (load 20 in a local run beside other tests) needed more than 5.
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, "bench", "--quick", "--json")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// At the timeout the bench is interrupted, as a user's Ctrl-C, and
	// cleans up: killed outright, it left its containers and images (24
	// containers after a local run that timed out).
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 2 * time.Minute
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("lambda bench --quick --json: %v\nstderr:\n%s", err, stderr.String())
	}
	took := time.Since(start)

	var doc map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout.String())
	}
	for _, k := range benchKeys {
		v, ok := lookupJSON(doc, k)
		n, isNumber := v.(float64)
		switch {
		case !ok:
			t.Errorf("%s is missing", k)
		case !isNumber:
			t.Errorf("%s = %v, want a number", k, v)
		// A difference, which noise may flip: the gateway's cost. The
		// dispatch runs from the commit: a sample out of order fails the
		// bench rather than report a negative.
		case n <= 0 && k != "warm.added_p50_ms":
			t.Errorf("%s = %v, want a positive number", k, n)
		}
	}
	for _, k := range []string{"machine.docker_version", "machine.go_version"} {
		if v, _ := lookupJSON(doc, k); v == nil || v == "" {
			t.Errorf("%s is empty", k)
		}
	}
	t.Logf("lambda bench --quick took %s", took.Round(100*time.Millisecond))
	for _, k := range benchKeys {
		v, _ := lookupJSON(doc, k)
		t.Logf("  %s = %v", k, v)
	}

	// Nothing of the run may be left: no container, no function image.
	m := regexp.MustCompile(`bench: run ([0-9a-f]+):`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("stderr does not name the run:\n%s", stderr.String())
	}
	if out := docker(t, "ps", "-a", "--filter", "label=lambda.server=bench-"+m[1], "--format", "{{.Names}}"); out != "" {
		t.Errorf("bench containers left behind:\n%s", out)
	}
	for _, repo := range []string{"func-bench-http-" + m[1], "func-bench-stdio-" + m[1], "func-bench-deploy-*-" + m[1]} {
		if out := docker(t, "images", "--filter", "reference="+repo, "--format", "{{.Repository}}:{{.Tag}}"); out != "" {
			t.Errorf("bench images left behind:\n%s", out)
		}
	}
}

// lookupJSON follows a dotted path through decoded JSON objects.
func lookupJSON(doc map[string]any, path string) (any, bool) {
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
