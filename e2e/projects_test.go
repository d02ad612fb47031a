package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// projectJS exports three handlers from one file; the message tells which
// one answered and under which STAGE.
const projectJS = `exports.api = async (event) => ({ message: "api " + process.env.STAGE });
exports.report = async (event) => { console.log("report tick " + JSON.stringify(event)); return { message: "report" }; };
exports.resize = async (event) => ({ message: "resize " + process.env.STAGE });
`

// projectYAML declares the project; STAGE and extra entries vary.
func projectYAML(project, stage, extra string, withResize bool) string {
	y := "project: " + project + "\nruntime: node\nenv: {STAGE: " + stage + "}\nfunctions:\n" +
		"  api:    {handler: functions.api}\n" +
		"  report: {handler: functions.report, schedule: \"*/2 * * * * *\"}\n"
	if withResize {
		y += "  resize: {handler: functions.resize, memory: 128m, max_retries: 1}\n"
	}
	return y + extra
}

func writeProject(t *testing.T, dir, yaml string) {
	t.Helper()
	for name, body := range map[string]string{"functions.js": projectJS, "lambda.yaml": yaml} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestProjects deploys a Node project of three handlers in one
// functions.js with one lambda deploy (one of them cron, with a seconds
// field), then a version with a broken function (nothing switches), then
// one that drops a function with --prune.
func TestProjects(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	project := fnName(t, "shop")
	names := map[string]string{}
	for _, n := range []string{"api", "report", "resize", "broken"} {
		names[n] = project + "-" + n
		cleanupFunction(t, names[n])
	}
	t.Cleanup(func() {
		for _, n := range names {
			s.lambda("delete", n) // its schedules go with it
		}
	})
	dir := t.TempDir()
	writeProject(t, dir, projectYAML(project, "prod", "", true))

	res := s.mustLambda("deploy", dir, "--prefix")
	for _, n := range []string{"api", "report", "resize"} {
		if !strings.Contains(res.stdout, names[n]) || !strings.Contains(res.stdout, "http://"+s.host(names[n])) {
			t.Errorf("deploy output lacks %s and its URL:\n%s", names[n], res.stdout)
		}
	}
	for _, want := range []string{"Packaging function code... Done.", `[1/8] Unpacking project "` + project + `"`, "[8/8] Switching 3 functions"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, res.stderr)
		}
	}
	if !strings.Contains(res.stdout, "Scheduled with cron: */2 * * * * *") {
		t.Errorf("the schedule is not reported:\n%s", res.stdout)
	}
	checkJSON(t, "api", s.get(s.host(names["api"]), "/"), `{"message": "api prod"}`)
	checkJSON(t, "resize", s.get(s.host(names["resize"]), "/"), `{"message": "resize prod"}`)

	// The cron function fires on its seconds field.
	waitFor(t, 60*time.Second, func() bool {
		out := s.mustLambda("schedule", "list", names["report"], "-o", "json").stdout
		var list []struct {
			LastRunAt *time.Time `json:"last_run_at"`
		}
		return json.Unmarshal([]byte(out), &list) == nil && len(list) == 1 && list[0].LastRunAt != nil
	})
	waitFor(t, 60*time.Second, func() bool {
		return strings.Contains(s.lambda("logs", names["report"]).stdout, "report tick")
	})

	var list []struct {
		Name    string `json:"name"`
		Project string `json:"project"`
	}
	if err := json.Unmarshal([]byte(s.mustLambda("list", "--project", project, "-o", "json").stdout), &list); err != nil || len(list) != 3 {
		t.Fatalf("list --project: %+v, %v", list, err)
	}
	for _, f := range list {
		if f.Project != project {
			t.Errorf("list --project: %+v", f)
		}
	}
	if out := s.mustLambda("describe", names["resize"]).stdout; !strings.Contains(out, "Project:") || !strings.Contains(out, project) {
		t.Errorf("describe does not show the project:\n%s", out)
	}

	// A broken function (its handler names a missing export) and a change
	// to the others: nothing switches.
	writeProject(t, dir, projectYAML(project, "next", "  broken: {handler: functions.missing}\n", true))
	res = s.lambda("deploy", dir, "--prefix")
	if res.code == 0 || !strings.Contains(res.stderr, `function "broken" did not start`) || !strings.Contains(res.stderr, "missing") ||
		!strings.Contains(res.stderr, "nothing was deployed: the previous versions keep serving") {
		t.Errorf("broken project: exit %d\n%s", res.code, res.stderr)
	}
	checkJSON(t, "api after a failed deploy", s.get(s.host(names["api"]), "/"), `{"message": "api prod"}`)
	if r := s.lambda("describe", names["broken"]); r.code == 0 {
		t.Errorf("the broken function was created:\n%s", r.stdout)
	}
	if imgs := docker(t, "images", "-q", "func-"+names["api"]+":v2"); imgs != "" {
		t.Errorf("the failed deploy left image %s", imgs)
	}
	// Counted per function, as a failed deploy of each alone would be.
	m := scrapeMetrics(t, s, "")
	for _, n := range []string{"api", "resize"} {
		if got := m.value("lambda_deploys_total", "function", names[n], "result", "failed"); got != 1 {
			t.Errorf("failed deploys of %s: %v, want 1", names[n], got)
		}
		if got := m.value("lambda_deploys_total", "function", names[n], "result", "published"); got != 1 {
			t.Errorf("published deploys of %s: %v, want 1", names[n], got)
		}
	}

	// resize dropped: --prune deletes it; the others switch.
	writeProject(t, dir, projectYAML(project, "next", "", false))
	res = s.mustLambda("deploy", dir, "--prefix", "--prune")
	if !strings.Contains(res.stdout, "Pruned "+names["resize"]) {
		t.Errorf("prune not reported:\n%s", res.stdout)
	}
	checkJSON(t, "api after the prune deploy", s.get(s.host(names["api"]), "/"), `{"message": "api next"}`)
	if r := s.lambda("describe", names["resize"]); r.code == 0 {
		t.Errorf("resize survived --prune:\n%s", r.stdout)
	}
	out := s.mustLambda("list", "--project", project).stdout
	if strings.Contains(out, names["resize"]) || !strings.Contains(out, names["api"]) || !strings.Contains(out, "PROJECT") {
		t.Errorf("list --project after prune:\n%s", out)
	}
}

// TestProjectBadInput: a duplicate or invalid function name, or a handler
// naming a missing export, is a clear error and deploys nothing.
func TestProjectBadInput(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	project := fnName(t, "bad")
	for _, n := range []string{"api", "ghost"} {
		cleanupFunction(t, project+"-"+n)
	}
	t.Cleanup(func() { s.lambda("delete", project+"-api") })
	head := "project: " + project + "\nruntime: node\nfunctions:\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"duplicate name", head + "  api: {handler: functions.api}\n  api: {handler: functions.report}\n",
			`lambda.yaml: line 5: functions.api: function "api" is declared twice (first on line 4): keep one`},
		{"invalid name", head + "  Api_1: {handler: functions.api}\n",
			`lambda.yaml: line 4: functions.Api_1: function name "Api_1" contains 'A'`},
		{"missing export", head + "  api: {handler: functions.api}\n  ghost: {handler: functions.ghost}\n",
			`function "ghost" did not start: the handler failed to load`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeProject(t, dir, tc.yaml)
			res := s.lambda("deploy", dir, "--prefix")
			if res.code == 0 || !strings.Contains(res.stderr, tc.want) || (tc.name == "missing export" && !strings.Contains(res.stderr, "functions.ghost is undefined or not exported")) {
				t.Errorf("exit %d, stderr:\n%s\nwant %q", res.code, res.stderr, tc.want)
			}
			out := s.mustLambda("list", "--project", project, "-o", "json").stdout
			var list []struct{ Name string }
			if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 0 {
				t.Errorf("something was deployed: %s", out)
			}
			if slices.ContainsFunc(strings.Fields(docker(t, "images", "--format", "{{.Repository}}")), func(r string) bool {
				return strings.HasPrefix(r, "func-"+project)
			}) {
				t.Errorf("images of the project left behind")
			}
		})
	}
}

// TestGoProject: two Go functions of one module, each its own main
// package (handler: ./cmd/NAME), deployed with one lambda deploy.
func TestGoProject(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	project := fnName(t, "goshop")
	for _, n := range []string{"hello", "bye"} {
		cleanupFunction(t, project+"-"+n)
	}
	t.Cleanup(func() {
		for _, n := range []string{"hello", "bye"} {
			s.lambda("delete", project+"-"+n)
		}
	})
	dir := t.TempDir()
	main := func(word string) string {
		return `package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "` + word + `") })
	http.ListenAndServe(":"+os.Getenv("PORT"), nil)
}
`
	}
	files := map[string]string{
		"go.mod":            "module example.com/shop\n\ngo 1.22\n",
		"cmd/hello/main.go": main("hello"),
		"cmd/bye/main.go":   main("bye"),
		"lambda.yaml":       "project: " + project + "\nfunctions:\n  hello: {handler: ./cmd/hello}\n  bye: {handler: ./cmd/bye}\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.mustLambda("deploy", dir, "--prefix")
	for _, n := range []string{"hello", "bye"} {
		if got := s.get(s.host(project+"-"+n), "/"); got != n {
			t.Errorf("%s answered %q", n, got)
		}
	}
}
