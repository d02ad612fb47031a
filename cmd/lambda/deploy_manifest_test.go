package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
	"github.com/lambdahq/lambda/manifest"
)

// manifestDir makes a function directory called dirName with lambda.yaml.
func manifestDir(t *testing.T, dirName, yaml string) string {
	t.Helper()
	dir := functionDir(t, dirName)
	if err := os.WriteFile(filepath.Join(dir, "lambda.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const fullManifest = `name: hello
runtime: python
handler: h.main
protocol: aws
port: 9000
env:
  A: "1"
  B: manifest
memory: 512m
timeout: 1m
concurrency: 3
min_instances: 1
max_instances: 4
start_timeout: 90s
`

func TestDeployManifestAndFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantName string
		check    func(t *testing.T, req lambdahttp.DeployRequest)
	}{
		{"manifest alone", nil, "hello", func(t *testing.T, req lambdahttp.DeployRequest) {
			c := req.Config
			if c.Runtime != "python" || c.Handler != "h.main" || c.Protocol != "aws" || c.Port != 9000 || c.MemoryBytes != 512<<20 ||
				time.Duration(c.Timeout) != time.Minute || len(c.Env) != 2 || c.Env["B"] != "manifest" {
				t.Errorf("config = %+v", c)
			}
			if s := req.Scaling; *s.Concurrency != 3 || *s.MinInstances != 1 || *s.MaxInstances != 4 || time.Duration(*s.StartTimeout) != 90*time.Second {
				t.Errorf("scaling = %+v", s)
			}
		}},
		{"flags override", []string{"--name", "other", "--runtime", "node", "--handler", "index.handler", "--protocol", "http", "--port", "8081",
			"--env", "B=flag", "--env", "C=3", "--memory", "128m", "--timeout", "5s", "--concurrency", "0", "--max-instances", "6", "--start-timeout", "2m"}, "other",
			func(t *testing.T, req lambdahttp.DeployRequest) {
				c := req.Config
				if c.Runtime != "node" || c.Handler != "index.handler" || c.Protocol != "http" || c.Port != 8081 || c.MemoryBytes != 128<<20 ||
					time.Duration(c.Timeout) != 5*time.Second || c.Env["A"] != "1" || c.Env["B"] != "flag" || c.Env["C"] != "3" {
					t.Errorf("config = %+v", c)
				}
				if s := req.Scaling; *s.Concurrency != 0 || *s.MinInstances != 1 || *s.MaxInstances != 6 || time.Duration(*s.StartTimeout) != 2*time.Minute {
					t.Errorf("scaling = %+v", s)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, url := newFakeAPI(t)
			dir := manifestDir(t, "somedir", fullManifest)
			stdout, stderr, code := runCLI(t, url, "", append([]string{"deploy", dir}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			if want := "Your function is live at: http://" + tt.wantName + ".localhost:8080\n"; stdout != want {
				t.Errorf("stdout = %q, want %q", stdout, want)
			}
			tt.check(t, api.lastEffective)
			// The request carries the flags alone: the server reads the
			// uploaded lambda.yaml itself.
			if tt.args == nil && (api.lastDeploy.Config.Runtime != "" || api.lastDeploy.Config.Env != nil || !api.lastDeploy.Scaling.IsZero()) {
				t.Errorf("the CLI sent the manifest's settings: %+v", api.lastDeploy)
			}
		})
	}
}

func TestDeployManifestWithoutFlagsSendsDefaults(t *testing.T) {
	api, url := newFakeAPI(t)
	if _, stderr, code := runCLI(t, url, "", "deploy", manifestDir(t, "greet", "# nothing set\n")); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	req := api.lastDeploy
	if req.Config.Port != 0 || req.Config.MemoryBytes != 0 || req.Config.Env != nil || !req.Scaling.IsZero() {
		t.Errorf("an empty manifest sent %+v", req)
	}
}

func TestDeployManifestErrors(t *testing.T) {
	_, url := newFakeAPI(t)
	tests := []struct {
		name, yaml string
		args       []string
		want       string
	}{
		{"unknown key", "name: hello\nmemroy: 1g\n", nil, `: line 2: unknown key "memroy": did you mean "memory"?`},
		{"bad value", "timeout: soon\n", nil, `: line 1: timeout: "soon" is not a duration: use a value like 500ms, 30s or 5m`},
		{"conflict with a flag", "min_instances: 5\n", []string{"--max-instances", "2"}, "min instances 5 is above max instances 2"},
		{"start timeout out of range", "", []string{"--start-timeout", "500ms"}, "--start-timeout 500ms is out of range 1s-15m0s (0: the default, 1m0s)"},
		{"bad start timeout", "", []string{"--start-timeout", "soon"}, `--start-timeout "soon" is invalid: use a duration like 30s or 2m`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := manifestDir(t, "greet", tt.yaml)
			stdout, stderr, code := runCLI(t, url, "", append([]string{"deploy", dir}, tt.args...)...)
			first, _, _ := strings.Cut(stderr, "\n")
			if code != 1 || stdout != "" || !strings.HasSuffix(first, tt.want) || strings.Contains(stderr, "Packaging") {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant a first line ending in %q and no upload", code, stdout, stderr, tt.want)
			}
			if tt.args == nil && !strings.HasPrefix(first, "Error: "+filepath.Join(dir, manifest.FileName)) {
				t.Errorf("the error %q does not name the file", first)
			}
		})
	}
}

const scheduleManifest = `schedules:
  - cron: "0 * * * *"
  - cron: "30 8 * * 1-5"
    tz: Europe/Paris
    overlap: allow
    data: {kind: daily, n: 1}
`

func TestDeployManifestSchedules(t *testing.T) {
	api, url := newFakeAPI(t)
	dir := manifestDir(t, "greet", scheduleManifest)
	stdout, stderr, code := runCLI(t, url, "", "deploy", dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	want := `Your function is live at: http://greet.localhost:8080
Scheduled with cron: 0 * * * *  (id sch_1, next run 2026-11-22T08:00:00Z)
Scheduled with cron: 30 8 * * 1-5  (id sch_2, next run 2026-11-22T08:00:00Z)
`
	if stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	s := api.schedules[1]
	if s.Function != "greet" || s.Timezone != "Europe/Paris" || s.Overlap != lambda.OverlapAllow || string(s.Data) != `{"kind":"daily","n":1}` {
		t.Errorf("second schedule = %+v (data %s)", s, s.Data)
	}

	// Deploying the same manifest again adds nothing, whatever the
	// server's defaults and the data's formatting.
	api.schedules[1].Data = json.RawMessage(`{ "n": 1, "kind": "daily" }`)
	stdout, stderr, code = runCLI(t, url, "", "deploy", dir, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if len(api.schedules) != 2 {
		t.Errorf("a second deploy created schedules: %d in all", len(api.schedules))
	}
	if !json.Valid([]byte(stdout)) {
		t.Errorf("-o json stdout is not JSON alone: %q", stdout)
	}
	if !strings.Contains(stderr, "Already scheduled with cron: 0 * * * *  (id sch_1)\nAlready scheduled with cron: 30 8 * * 1-5  (id sch_2)\n") {
		t.Errorf("stderr does not report the existing schedules:\n%s", stderr)
	}
	// The server applies the manifest's schedules with the deploy: the
	// CLI neither sends them nor calls the schedule API.
	if api.scheduleCalls != 0 {
		t.Errorf("the CLI made %d schedule API calls of its own", api.scheduleCalls)
	}
	if n := len(api.lastDeploy.Schedules); n != 0 {
		t.Errorf("the deploy request carried %d schedules: the server reads them from the upload", n)
	}
}

// A bad schedule stops the deploy before anything is packed or built,
// rather than after the function is live.
func TestDeployManifestScheduleRefused(t *testing.T) {
	api, url := newFakeAPI(t)
	dir := manifestDir(t, "greet", "schedules:\n  - cron: \"0 * * * *\"\n  - cron: \"@often\"\n")
	stdout, stderr, code := runCLI(t, url, "", "deploy", dir)
	want := `Error: lambda.yaml: line 3: schedules[1]: cron expression "@often": unknown descriptor "@often": use @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>` + "\n"
	if code != 1 || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, stdout, stderr, want)
	}
	if api.lastSource != "" || len(api.schedules) != 0 {
		t.Errorf("the deploy reached the server (%q, %d schedules)", api.lastSource, len(api.schedules))
	}
}

func TestSameJSON(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"", "", true}, {"", "{}", true}, {`{"a":1,"b":[1,2]}`, `{ "b": [1, 2], "a": 1.0 }`, true},
		{`{"a":1}`, `{"a":2}`, false}, {"null", "", false}, {"[1]", "[1]", true}, {"bad", "bad", true}, {"bad", "{}", false},
	}
	for _, tt := range tests {
		if got := sameJSON(json.RawMessage(tt.a), json.RawMessage(tt.b)); got != tt.want {
			t.Errorf("sameJSON(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
