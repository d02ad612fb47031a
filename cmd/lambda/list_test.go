package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

func TestListTable(t *testing.T) {
	api, url := newFakeAPI(t)
	api.add("greet", 3, time.Now().Add(-5*time.Minute-time.Second))
	api.add("hello", 1, time.Now().Add(-50*time.Hour))
	stdout, stderr, code := runCLI(t, url, "", "list")
	want := `NAME    VERSION   RUNTIME   STATUS   URL                           UPDATED
greet   3         go        ready    http://greet.localhost:8080   5m ago
hello   1         go        ready    http://hello.localhost:8080   2d ago
`
	if code != 0 || stdout != want || stderr != "" {
		t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, stderr, stdout, want)
	}
}

func TestListEmptyAndJSON(t *testing.T) {
	api, url := newFakeAPI(t)
	stdout, stderr, code := runCLI(t, url, "", "list")
	if code != 0 || stdout != "" || stderr != "No functions yet: deploy one with \"lambda deploy DIR\".\n" {
		t.Errorf("empty list: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	api.add("greet", 1, time.Now())
	stdout, _, code = runCLI(t, url, "", "list", "-o", "json")
	var got []lambdahttp.FunctionSummary
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || code != 0 || len(got) != 1 || got[0].Name != "greet" {
		t.Errorf("json: exit %d, %v, stdout %q", code, err, stdout)
	}
}

func TestDescribe(t *testing.T) {
	api, url := newFakeAPI(t)
	created := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	api.add("greet", 2, created)
	stdout, stderr, code := runCLI(t, url, "", "describe", "greet")
	ago := age(time.Now(), created)
	want := `Name:             greet
URL:              http://greet.localhost:8080
Path URL:         http://localhost:8080/fn/greet
Status:           ready
Active version:   2
Runtime:          go
Image:            func-greet:v2
Image ID:         20123456789a
Memory:           128m
Timeout:          10s
Protocol:         http
Scaling:          concurrency 16, instances 0-10, idle timeout 5m0s, start timeout 1m0s, reserved none
Async:            max retries 2, retry delay 1m (doubling), max event age 6h, async concurrency 160, on success none, on failure none
Env:              A=1
                  B=2
Created:          2026-11-22T07:00:00Z (` + ago + `)
Updated:          2026-11-22T07:00:00Z (` + ago + `)

INSTANCES
ID             VERSION   STATE   IN FLIGHT   REQUESTS   ADDR              AGE
0123456789ab   2         busy    2           17         127.0.0.1:32768   ` + ago + `
`
	if code != 0 || stdout != want {
		t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, stderr, stdout, want)
	}
}

func TestDescribeJSON(t *testing.T) {
	api, url := newFakeAPI(t)
	api.add("greet", 2, time.Now())
	stdout, _, code := runCLI(t, url, "", "describe", "greet", "-o", "json")
	var got lambdahttp.FunctionDetail
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || code != 0 || got.Active == nil || got.Active.Number != 2 {
		t.Errorf("exit %d, %v, stdout %q", code, err, stdout)
	}
}

func TestVersions(t *testing.T) {
	api, url := newFakeAPI(t)
	api.add("greet", 2, time.Now().Add(-3*time.Hour))
	api.versions["greet"][0].Pruned = true
	api.versions["greet"][1].Git = &lambda.Provenance{Repository: "https://example.com/g.git", Ref: "v2", Commit: "0123456789abcdef0123456789abcdef01234567"}
	stdout, stderr, code := runCLI(t, url, "", "versions", "greet")
	want := `VERSION   CREATED   IMAGE           CODE SHA256    COMMIT         REF   ACTIVE   PRUNED
1         3h ago    func-greet:v1   11234567890a   -              -              yes
2         3h ago    func-greet:v2   21234567890a   0123456789ab   v2    *
`
	if code != 0 || stdout != want {
		t.Errorf("exit %d, stderr %q, stdout:\n%q\nwant:\n%q", code, stderr, stdout, want)
	}
	stdout, _, code = runCLI(t, url, "", "versions", "greet", "-o", "json")
	var got []lambdahttp.VersionInfo
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || code != 0 || len(got) != 2 || !got[1].Active || !got[0].Pruned || got[1].Pruned ||
		got[0].Git != nil || got[1].Git == nil || got[1].Git.Repository != "https://example.com/g.git" {
		t.Errorf("json: exit %d, %v, stdout %q", code, err, stdout)
	}
}
