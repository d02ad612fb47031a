package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda/drivertest"
	"github.com/lambdahq/lambda/templates"
)

// runCLIEnv runs the binary with args and env added to the test's own
// environment, without the harness's --server (commands such as init
// refuse it).
func runCLIEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runCLIStdin(t, env, nil, args...)
}

// runCLIStdin is runCLIEnv with stdin.
func runCLIStdin(t *testing.T, env []string, stdin []byte, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("lambda %v: %v", args, err)
	}
	return res
}

// readmeAnswer is the answer a template's README promises: its json block.
var readmeAnswer = regexp.MustCompile("(?s)```json\n(.*?)\n```")

// TestInitTemplates: every single-function template, written by `lambda
// init`, passes its own unit test with its language's runner, deploys as
// is, and answers `lambda invoke` and an HTTP request as its README says.
func TestInitTemplates(t *testing.T) {
	requireDocker(t)
	for _, tool := range []string{"go", "python3", "node", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			drivertest.SkipOrFail(t, "%s is not installed: the templates' unit tests need it", tool)
		}
	}
	if err := exec.Command("docker", "image", "inspect", "busybox:latest").Run(); err != nil {
		drivertest.SkipOrFail(t, "busybox:latest is not on the host: run scripts/base-images.sh")
	}
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	for _, tpl := range templates.List() {
		if tpl.Project {
			continue // TestInitProject
		}
		t.Run(tpl.Name, func(t *testing.T) {
			t.Parallel()
			s := sharedServer(t)
			name := s.fn("init-" + tpl.Name)
			dir := filepath.Join(t.TempDir(), name)
			res := runCLIEnv(t, nil, "init", dir, "--template", tpl.Name)
			if res.code != 0 {
				t.Fatalf("init: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}

			// The template's own unit test, with its runner.
			test := exec.Command(tpl.Test[0], tpl.Test[1:]...)
			test.Dir = dir
			if out, err := test.CombinedOutput(); err != nil {
				t.Fatalf("%s in the template: %v\n%s", strings.Join(tpl.Test, " "), err, out)
			}
			// Runners leave caches (__pycache__) that are not the template's.
			os.RemoveAll(filepath.Join(dir, "__pycache__"))

			readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			m := readmeAnswer.FindSubmatch(readme)
			if m == nil {
				t.Fatalf("the README says no answer:\n%s", readme)
			}
			want := strings.TrimSpace(string(m[1]))

			// Deployed as is: the name, runtime and protocol from lambda.yaml.
			s.mustLambda("deploy", dir)
			got := s.mustLambda("invoke", name, "--data", `{"name": "World"}`)
			if strings.TrimSpace(got.stdout) != want {
				t.Errorf("lambda invoke answered %q, the README says %q", got.stdout, want)
			}
			resp, body := s.request("GET", s.host(name), "/?name=World", nil)
			if resp.StatusCode != 200 || !jsonEqual(body, want) {
				t.Errorf("GET /?name=World: %d %q, the README says %q", resp.StatusCode, body, want)
			}
			if !strings.Contains(s.mustLambda("describe", name, "-o", "json").stdout, `"protocol": "`+tpl.Protocol+`"`) {
				t.Errorf("not deployed with protocol %s", tpl.Protocol)
			}
			s.mustLambda("delete", name)
		})
	}
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// TestInitBadInput: init refuses a non-empty directory, an unknown
// template or runtime, and writes nothing then.
func TestInitBadInput(t *testing.T) {
	t.Parallel()
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "index.js"), []byte("mine"), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"init", full, "--runtime", "node"}, "is not empty: lambda init never overwrites files"},
		{[]string{"init", filepath.Join(t.TempDir(), "x"), "--template", "cobol"}, `no template "cobol"`},
		{[]string{"init", filepath.Join(t.TempDir(), "x"), "--runtime", "ruby"}, `no template for runtime "ruby": use one of go, python, node, dockerfile`},
		{[]string{"init", filepath.Join(t.TempDir(), "x"), "--runtime", "python", "--protocol", "stdio"}, `protocol "stdio" does not apply to the python runtime`},
		{[]string{"init", filepath.Join(t.TempDir(), "x")}, "choose a template with --runtime"}, // stdin is no terminal
	} {
		res := runCLIEnv(t, nil, tt.args...)
		if res.code == 0 || !strings.Contains(res.stderr, tt.want) {
			t.Errorf("lambda %s: exit %d, %q; want %q", strings.Join(tt.args, " "), res.code, res.stderr, tt.want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(full, "index.js")); string(b) != "mine" {
		t.Fatalf("init changed the user's file: %q", b)
	}
	if entries, _ := os.ReadDir(full); len(entries) != 1 {
		t.Fatalf("init wrote into a non-empty directory: %v", entries)
	}
}

// TestInitProject: the project template, written by `lambda init`, passes
// its unit test and deploys with one `lambda deploy` (prefixed, so that
// its names are this run's): greet and count answer as its README says,
// and report is scheduled with the README's cron.
func TestInitProject(t *testing.T) {
	requireDocker(t)
	if _, err := exec.LookPath("node"); err != nil {
		drivertest.SkipOrFail(t, "node is not installed: the template's unit test needs it")
	}
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	project := fnName(t, "proj")
	greet, count, report := project+"-greet", project+"-count", project+"-report"
	for _, fn := range []string{greet, count, report} {
		cleanupFunction(t, fn)
	}
	dir := filepath.Join(t.TempDir(), project)
	if res := runCLIEnv(t, nil, "init", dir, "--template", "project-node"); res.code != 0 || !strings.Contains(res.stdout, `Created project "`+project+`"`) {
		t.Fatalf("init: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	test := exec.Command("node", "--test")
	test.Dir = dir
	if out, err := test.CombinedOutput(); err != nil {
		t.Fatalf("node --test in the template: %v\n%s", err, out)
	}

	s.mustLambda("deploy", dir, "--prefix")
	if got := strings.TrimSpace(s.mustLambda("invoke", greet, "--data", `{"name": "World"}`).stdout); got != `{"message":"Hello, World!"}` {
		t.Errorf("invoke greet: %q", got)
	}
	if got := strings.TrimSpace(s.mustLambda("invoke", count, "--data", `{"text": "the cat sat"}`).stdout); got != `{"words":3}` {
		t.Errorf("invoke count: %q", got)
	}
	resp, body := s.request("GET", s.host(greet), "/?name=World", nil)
	if resp.StatusCode != 200 || !jsonEqual(body, `{"message":"Hello, World!"}`) {
		t.Errorf("GET greet: %d %q", resp.StatusCode, body)
	}
	if res := s.mustLambda("schedule", "list", report, "-o", "json"); !strings.Contains(res.stdout, `"0 8 * * 1-5"`) {
		t.Errorf("report is not scheduled as lambda.yaml says: %s", res.stdout)
	}
	for _, fn := range []string{greet, count, report} {
		s.mustLambda("delete", fn)
	}
}
