package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

// Mistakes in a project deploy's flags are told before anything is packed
// or sent: no server answers these tests.
func TestDeployProjectFlags(t *testing.T) {
	project := t.TempDir()
	yaml := "project: shop\nruntime: node\nfunctions:\n  api: {handler: functions.api}\n  report: {handler: functions.report, schedule: '0 25 * * *'}\n"
	if err := os.WriteFile(filepath.Join(project, "lambda.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	single := filepath.Join(t.TempDir(), "greet")
	if err := os.MkdirAll(single, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"function flag", []string{"deploy", project, "--memory", "1g"}, `--memory sets one function's settings, and lambda.yaml declares project "shop"`},
		{"name", []string{"deploy", project, "--name", "x"}, `--name sets one function's settings`},
		{"unknown --only", []string{"deploy", project, "--only", "api,nope"}, `--only: project "shop" has no function "nope": its functions are api, report`},
		{"empty --only", []string{"deploy", project, "--only", " , "}, `--only is empty`},
		{"bad schedule, with its line", []string{"deploy", project, "--only", "report"}, `lambda.yaml: line 5: `},
		{"--prune without a project", []string{"deploy", single, "--prune"}, `--prune is for projects: the directory's lambda.yaml declares no project:`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, "http://127.0.0.1:1", "", tt.args...)
			if code == 0 || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, "Packaging") {
				t.Errorf("exit %d, stderr:\n%s\nwant %q, before packing", code, stderr, tt.want)
			}
		})
	}
}

// projectAPI answers a project deploy as the server does: the steps, then
// the project's result (or fails when the project is "broken").
func projectAPI(t *testing.T, got *lambdahttp.ProjectDeployRequest) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/projects/{project}/deploy", func(w http.ResponseWriter, r *http.Request) {
		mr, err := r.MultipartReader()
		if err != nil {
			t.Error(err)
			return
		}
		part, _ := mr.NextPart()
		_ = json.NewDecoder(part).Decode(got)
		part, _ = mr.NextPart()
		_, _ = io.Copy(io.Discard, part)
		project := r.PathValue("project")
		w.Header().Set("Content-Type", "application/x-ndjson")
		enc := json.NewEncoder(w)
		_ = enc.Encode(lambdahttp.DeployEvent{Type: lambdahttp.EventStep, Step: 1, Total: 4, Message: `Unpacking project "` + project + `"`})
		_ = enc.Encode(lambdahttp.DeployEvent{Type: lambdahttp.EventStep, Step: 2, Total: 4, Message: `Building image "func-api" (function api)`})
		_ = enc.Encode(lambdahttp.DeployEvent{Type: lambdahttp.EventLog, Message: "Step 1/2 : FROM x\nnoise\n"})
		_ = enc.Encode(lambdahttp.DeployEvent{Type: lambdahttp.EventStep, Step: 3, Total: 4, Message: "Starting function api"})
		if project == "broken" {
			_ = enc.Encode(lambdahttp.DeployEvent{Type: lambdahttp.EventError, Error: &lambdahttp.ErrorBody{Code: "invalid", Message: `function "api" did not start: boom; nothing was deployed: the previous versions keep serving`}})
			return
		}
		_ = enc.Encode(lambdahttp.DeployEvent{Type: lambdahttp.EventStep, Step: 4, Total: 4, Message: "Switching 1 functions to their new versions"})
		res := &lambdahttp.ProjectDeployResult{Project: project, Pruned: []string{"old"}, Functions: []lambdahttp.DeployResult{
			{FunctionDetail: lambdahttp.FunctionDetail{Name: "api", Project: project, URL: "http://api.localhost:8080", Active: &lambda.Version{Number: 2}}, Changed: true},
			{FunctionDetail: lambdahttp.FunctionDetail{Name: "report", Project: project, URL: "http://report.localhost:8080", Active: &lambda.Version{Number: 1}}},
		}}
		_ = enc.Encode(lambdahttp.DeployEvent{Type: lambdahttp.EventDone, Project: res})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestDeployProjectOutput(t *testing.T) {
	var got lambdahttp.ProjectDeployRequest
	url := projectAPI(t, &got)
	dir := t.TempDir()
	write := func(project string) {
		yaml := "project: " + project + "\nruntime: node\nfunctions:\n  api: {handler: functions.api}\n  report: {handler: functions.report}\n"
		if err := os.WriteFile(filepath.Join(dir, "lambda.yaml"), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("shop")
	stdout, stderr, code := runCLI(t, url, "", "deploy", dir, "--only", "api", "--prune", "--prefix")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !got.Prune || !got.Prefix || len(got.Only) != 1 || got.Only[0] != "api" {
		t.Errorf("request %+v", got)
	}
	wantErr := "Packaging function code... Done.\n[1/4] Unpacking project \"shop\"... Done.\n[2/4] Building image \"func-api\" (function api)...\nStep 1/2 : FROM x\n[3/4] Starting function api... Done.\n[4/4] Switching 1 functions to their new versions... Done.\n"
	if stderr != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, wantErr)
	}
	for _, want := range []string{"Project \"shop\" is live:", "FUNCTION", "api", "2", "new version", "http://api.localhost:8080", "report", "unchanged", "Pruned old"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	stdout, _, code = runCLI(t, url, "", "deploy", dir, "-o", "json")
	var res lambdahttp.ProjectDeployResult
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.Project != "shop" || len(res.Functions) != 2 {
		t.Errorf("-o json: exit %d, %s", code, stdout)
	}

	write("broken")
	_, stderr, code = runCLI(t, url, "", "deploy", dir)
	if code != 1 || !strings.Contains(stderr, "[3/4] Starting function api... Failed.") || !strings.Contains(stderr, `Error: function "api" did not start: boom; nothing was deployed`) {
		t.Errorf("failed deploy: exit %d\n%s", code, stderr)
	}
}
