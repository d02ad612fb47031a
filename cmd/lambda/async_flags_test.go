package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

func TestConfigAsync(t *testing.T) {
	f, url := newFakeAPI(t)
	f.add("greet", 1, time.Now())
	f.add("dlq", 1, time.Now())
	pool := `Updated function "greet": concurrency 16, instances 0-10, idle timeout 5m0s, start timeout 1m0s, reserved none` + "\n"
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"retries", []string{"--max-retries", "0", "--retry-delay", "2s"}, 0,
			pool + "Async invocations: max retries 0, retry delay 2s (doubling), max event age 6h, async concurrency 160, on success none, on failure none\n", ""},
		{"age, concurrency, destinations", []string{"--max-event-age", "90s", "--async-concurrency", "4", "--on-failure", "dlq", "--on-success", "dlq"}, 0,
			pool + "Async invocations: max retries 0, retry delay 2s (doubling), max event age 1m30s, async concurrency 4, on success dlq, on failure dlq\n", ""},
		{"remove a destination, defaults back", []string{"--on-success", "", "--retry-delay", "0", "--async-concurrency", "0"}, 0,
			pool + "Async invocations: max retries 0, retry delay 1m (doubling), max event age 1m30s, async concurrency 160, on success none, on failure dlq\n", ""},
		{"pool flag alone prints no async line", []string{"--max-instances", "10"}, 0, pool, ""},
		{"too many retries", []string{"--max-retries", "3"}, 1, "", "--max-retries: max retries 3 is out of range 0-2"},
		{"retries not a number", []string{"--max-retries", "two"}, 1, "", `invalid argument "two" for "--max-retries"`},
		{"retry delay without unit", []string{"--retry-delay", "30"}, 1, "", `--retry-delay "30" is invalid: use a duration like 2s, 30s or 5m, or 0 for the default`},
		{"retry delay too short", []string{"--retry-delay", "100ms"}, 1, "", "--retry-delay: retry delay 100ms is out of range 1s-1h (0 means the default, 1m)"},
		{"retry delay too long", []string{"--retry-delay", "2h"}, 1, "", "--retry-delay: retry delay 2h0m0s is out of range 1s-1h"},
		{"event age too short", []string{"--max-event-age", "59s"}, 1, "", "--max-event-age: max event age 59s is out of range 1m-6h (0 means the default, 6h)"},
		{"event age too long", []string{"--max-event-age", "7h"}, 1, "", "--max-event-age: max event age 7h0m0s is out of range 1m-6h"},
		{"negative async concurrency", []string{"--async-concurrency", "-1"}, 1, "", "--async-concurrency: async concurrency -1 is out of range 0-1000000"},
		{"bad destination", []string{"--on-failure", "My_DLQ"}, 1, "", `--on-failure: function name "My_DLQ" contains 'M'`},
		{"own destination", []string{"--on-failure", "greet"}, 1, "", `on_failure "greet" is the function itself: a function cannot be its own destination (it would loop)`},
		{"nothing to change", nil, 1, "", "nothing to change: give at least one of --concurrency, --min-instances, --max-instances, --idle-timeout, --start-timeout, --standby-timeout, --reserved-concurrency, --auth, --max-retries, --retry-delay, --max-event-age, --async-concurrency, --on-success, --on-failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.mu.Lock()
			before, _ := json.Marshal(f.functions["greet"].Scaling)
			f.mu.Unlock()
			stdout, stderr, code := runCLI(t, url, "", append([]string{"config", "greet"}, tt.args...)...)
			if code != tt.code || stdout != tt.stdout || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d\nstdout %q\nstderr %q\nwant exit %d, stdout %q, stderr containing %q", code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
			f.mu.Lock()
			after, _ := json.Marshal(f.functions["greet"].Scaling)
			f.mu.Unlock()
			if tt.code != 0 && string(after) != string(before) {
				t.Errorf("a refused command changed the settings: %s → %s", before, after)
			}
		})
	}

	stdout, stderr, code := runCLI(t, url, "", "config", "greet", "--max-retries", "1", "-o", "json")
	var got lambdahttp.FunctionDetail
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || code != 0 {
		t.Fatalf("-o json: exit %d, %v, stdout %q, stderr %q", code, err, stdout, stderr)
	}
	if sc := got.Scaling; sc.MaxRetries == nil || *sc.MaxRetries != 1 || sc.OnFailure != "dlq" || time.Duration(sc.MaxEventAge) != 90*time.Second {
		t.Errorf("-o json scaling %+v", sc)
	}
	var doc struct {
		Scaling map[string]any `json:"scaling"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]any{"max_retries": 1.0, "retry_delay": "1m0s", "max_event_age": "1m30s", "async_concurrency": 160.0, "on_failure": "dlq"} {
		if doc.Scaling[key] != want {
			t.Errorf("-o json scaling.%s = %v, want %v", key, doc.Scaling[key], want)
		}
	}
}

func TestDeployAsyncSettings(t *testing.T) {
	const yaml = "name: work\nmax_retries: 1\nretry_delay: 5s\nmax_event_age: 2h\nasync_concurrency: 3\non_success: audit\non_failure: dlq\n"
	tests := []struct {
		name  string
		yaml  string
		args  []string
		check func(t *testing.T, p lambda.ScalingPatch)
	}{
		{"manifest", yaml, nil, func(t *testing.T, p lambda.ScalingPatch) {
			if *p.MaxRetries != 1 || time.Duration(*p.RetryDelay) != 5*time.Second || time.Duration(*p.MaxEventAge) != 2*time.Hour ||
				*p.AsyncConcurrency != 3 || *p.OnSuccess != "audit" || *p.OnFailure != "dlq" {
				t.Errorf("scaling = %+v", p)
			}
		}},
		{"flags override", yaml, []string{"--max-retries", "0", "--retry-delay", "1s", "--max-event-age", "60s", "--async-concurrency", "0", "--on-success", "", "--on-failure", "other"},
			func(t *testing.T, p lambda.ScalingPatch) {
				if *p.MaxRetries != 0 || time.Duration(*p.RetryDelay) != time.Second || time.Duration(*p.MaxEventAge) != time.Minute ||
					*p.AsyncConcurrency != 0 || p.OnSuccess == nil || *p.OnSuccess != "" || *p.OnFailure != "other" {
					t.Errorf("scaling = %+v", p)
				}
			}},
		{"unset settings are not sent", "name: work\n", []string{"--on-failure", "dlq"}, func(t *testing.T, p lambda.ScalingPatch) {
			if p.MaxRetries != nil || p.RetryDelay != nil || p.MaxEventAge != nil || p.AsyncConcurrency != nil || p.OnSuccess != nil || *p.OnFailure != "dlq" {
				t.Errorf("scaling = %+v", p)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, url := newFakeAPI(t)
			dir := manifestDir(t, "somedir", tt.yaml)
			if _, stderr, code := runCLI(t, url, "", append([]string{"deploy", dir}, tt.args...)...); code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			tt.check(t, api.lastEffective.Scaling) // as the server applies it
		})
	}
}

func TestDeployAsyncSettingsErrors(t *testing.T) {
	api, url := newFakeAPI(t)
	tests := []struct {
		name, yaml string
		args       []string
		want       string
	}{
		{"manifest out of range", "max_retries: 5\n", nil, `lambda.yaml: line 1: max_retries: 5 is out of range 0-2`},
		{"flag out of range", "", []string{"--max-event-age", "1s"}, "--max-event-age: max event age 1s is out of range 1m-6h (0 means the default, 6h)"},
		{"bad flag duration", "", []string{"--retry-delay", "later"}, `--retry-delay "later" is invalid: use a duration like 2s, 30s or 5m, or 0 for the default`},
		{"own destination by flag", "name: work\n", []string{"--on-success", "work"}, `on_success "work" is the function itself: a function cannot be its own destination (it would loop); name another function`},
		{"own destination by manifest", "name: work\non_failure: work\n", nil, `lambda.yaml: line 2: on_failure: "work" is this function`},
		{"manifest destination is the renamed function", "name: work\non_failure: other\n", []string{"--name", "other"}, `on_failure "other" is the function itself`},
		{"own destination by directory name", "on_failure: greet\n", nil, `on_failure "greet" is the function itself`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := manifestDir(t, "greet", tt.yaml)
			stdout, stderr, code := runCLI(t, url, "", append([]string{"deploy", dir}, tt.args...)...)
			first, _, _ := strings.Cut(stderr, "\n")
			if code != 1 || stdout != "" || !strings.Contains(first, tt.want) || strings.Contains(stderr, "Packaging") {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant a first line containing %q and no upload", code, stdout, stderr, tt.want)
			}
		})
	}
	// --image deploys check the same before anything is sent.
	stdout, stderr, code := runCLI(t, url, "", "deploy", "--image", "nginx:1.27", "--name", "web", "--on-failure", "web")
	if code != 1 || stdout != "" || !strings.Contains(stderr, `on_failure "web" is the function itself`) {
		t.Errorf("image deploy: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if api.lastSource != "" {
		t.Errorf("a refused deploy reached the server (%s)", api.lastSource)
	}
}
