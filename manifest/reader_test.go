package manifest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/manifest"
)

// The server reads an uploaded lambda.yaml: its errors name the file as
// the user knows it, never the server's temporary directory.
func TestReaderErrorsNameTheFile(t *testing.T) {
	for _, tt := range []struct{ file, data, want string }{
		{manifest.FileName, "memroy: 1g\n", `lambda.yaml: line 1: unknown key "memroy"`},
		{"lambda.yml", "memory: 1g\n", "lambda.yml: the manifest must be called lambda.yaml: rename it"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.data), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := manifest.Reader{}.ReadManifest(dir)
		if msg := lambda.ErrorMessage(err); !strings.HasPrefix(msg, tt.want) || strings.Contains(msg, dir) {
			t.Errorf("%s: err = %q, want it to start %q", tt.file, msg, tt.want)
		}
	}
	if m, err := (manifest.Reader{}).ReadManifest(t.TempDir()); m != nil || err != nil {
		t.Errorf("no manifest: %v, %v", m, err)
	}
}

// FuzzReadManifest: any uploaded lambda.yaml is read, or refused with an
// EINVALID, and what it declares merges under any request.
func FuzzReadManifest(f *testing.F) {
	f.Add("memory: 128m\nenv: {A: b}\nschedules:\n  - cron: \"0 * * * *\"\n    tz: Europe/Paris\n")
	f.Add("max_retries: 1\non_failure: dlq\nconcurrency: 0\n")
	f.Add("schedules: [\n")
	f.Add("project: shop\nenv: {A: b}\nfunctions:\n  api: {handler: f.api, schedule: \"@daily\"}\n  b:\n")
	f.Fuzz(func(t *testing.T, data string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, manifest.FileName), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := manifest.Reader{}.ReadManifest(dir)
		if err != nil {
			if lambda.ErrorCode(err) != lambda.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		req := m.Under(lambda.DeployRequest{Name: "greet", Config: lambda.Config{Env: map[string]string{"A": "flag"}}})
		if req.Config.Env["A"] != "flag" {
			t.Fatalf("the request's variable lost: %v", req.Config.Env)
		}
		for _, s := range req.Schedules {
			if s.Function != "greet" {
				t.Fatalf("schedule %+v is not the function's", s)
			}
		}
	})
}

// A project's manifest is read by ReadProject; ReadManifest, which reads
// one function's, refuses it with what to do instead.
func TestReaderProject(t *testing.T) {
	dir := t.TempDir()
	src := "project: shop\nruntime: node\nfunctions:\n  api: {handler: functions.api}\n  report: {handler: functions.report, schedule: '@daily'}\n"
	if err := os.WriteFile(filepath.Join(dir, manifest.FileName), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	pm, err := manifest.Reader{}.ReadProject(dir)
	if err != nil || pm == nil || pm.Project != "shop" || len(pm.Functions) != 2 || pm.Functions[1].Schedules[0].Cron != "@daily" || pm.Functions[0].Config.Runtime != "node" {
		t.Fatalf("ReadProject = %+v, %v", pm, err)
	}
	if _, err := (manifest.Reader{}).ReadManifest(dir); lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(lambda.ErrorMessage(err), `declares project "shop" with 2 functions`) {
		t.Errorf("ReadManifest of a project: %v", err)
	}
	if pm, err := (manifest.Reader{}).ReadProject(t.TempDir()); pm != nil || err != nil {
		t.Errorf("no manifest: %v, %v", pm, err)
	}
}

// FuzzReadProject: any uploaded lambda.yaml is read as a project, as no
// project, or refused with an EINVALID; a project's functions have valid,
// distinct names.
func FuzzReadProject(f *testing.F) {
	f.Add("project: shop\nenv: {A: b}\nfunctions:\n  api: {handler: f.api, schedule: \"@daily\"}\n  b:\n")
	f.Add("project: shop\nfunctions:\n  a: {}\n  a: {}\n")
	f.Add("name: greet\n")
	f.Fuzz(func(t *testing.T, data string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, manifest.FileName), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		pm, err := manifest.Reader{}.ReadProject(dir)
		if err != nil {
			if lambda.ErrorCode(err) != lambda.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if pm == nil {
			return
		}
		seen := map[string]bool{}
		for _, fn := range pm.Functions {
			if lambda.ValidateName(fn.Name) != nil || seen[fn.Name] {
				t.Fatalf("function name %q invalid or repeated", fn.Name)
			}
			seen[fn.Name] = true
		}
	})
}
