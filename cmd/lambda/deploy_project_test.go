package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
