package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The scriptable side of the CLI, through the real binary against a
// server of its own (so listings hold only what this test made): -o yaml
// and --quiet on every listing command, completion of function names
// through cobra's __complete, the hint for a misspelt name, and a payload
// piped to lambda invoke.
func TestCLIScriptable(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t)
	image := fixtureImage(t)
	greet, hello := fnName(t, "greet"), fnName(t, "hello")
	for _, name := range []string{greet, hello} {
		s.mustLambda("deploy", "--image", image, "--name", name)
		t.Cleanup(func() { s.lambda("delete", name) })
	}
	s.mustLambda("deploy", "--image", image, "--name", greet, "--env", "FIXTURE_TAG=two") // version 2
	s.mustLambda("schedule", greet, "--cron", "0 0 1 1 *")
	s.mustLambda("keys", "create", "ci-reader", "--scope", "read")
	s.mustLambda("invoke", greet, "--async", "--data", `{"n":1}`)
	waitFor(t, 2*time.Minute, func() bool {
		return strings.TrimSpace(s.mustLambda("invocations", greet, "-q").stdout) != ""
	})

	t.Run("yaml and quiet on every listing", func(t *testing.T) {
		strs := func(key string) func(any) []string {
			return func(v any) []string {
				var out []string
				for _, item := range v.([]any) {
					switch x := item.(map[string]any)[key].(type) {
					case []any: // images: every tag
						for _, tag := range x {
							out = append(out, fmt.Sprint(tag))
						}
					default:
						out = append(out, fmt.Sprint(x))
					}
				}
				return out
			}
		}
		listings := []struct {
			args []string
			// quiet reads, from the JSON listing, what --quiet must print;
			// nil for a listing without --quiet (its rows have no name).
			quiet func(any) []string
			want  string // a value the listing must hold
			// host: the listing shows the Docker host, which other tests
			// change meanwhile: --quiet must hold want, not equal -o json.
			host bool
		}{
			{[]string{"list"}, strs("name"), greet, false},
			{[]string{"versions", greet}, strs("number"), "2", false},
			{[]string{"alias", "list", greet}, strs("name"), "live", false},
			{[]string{"invocations", greet}, strs("id"), "", false},
			{[]string{"schedule", "list"}, strs("id"), "", false},
			{[]string{"keys", "list"}, strs("id"), "", false},
			{[]string{"images"}, strs("tags"), image, true},
			{[]string{"runtimes"}, strs("name"), "python", false},
			{[]string{"audit"}, nil, "deploy", false},
			{[]string{"stats", greet}, nil, greet, false},
		}
		for _, tc := range listings {
			name := strings.Join(tc.args, " ")
			jsonOut := s.mustLambda(append(tc.args, "-o", "json")...).stdout
			yamlOut := s.mustLambda(append(tc.args, "-o", "yaml")...).stdout
			var fromJSON, fromYAML any
			if err := json.Unmarshal([]byte(jsonOut), &fromJSON); err != nil {
				t.Fatalf("%s -o json: %v\n%s", name, err, jsonOut)
			}
			if err := yaml.Unmarshal([]byte(yamlOut), &fromYAML); err != nil {
				t.Fatalf("%s -o yaml: not YAML: %v\n%s", name, err, yamlOut)
			}
			if strings.HasPrefix(strings.TrimSpace(yamlOut), "{") || strings.HasPrefix(strings.TrimSpace(yamlOut), "[{") {
				t.Errorf("%s -o yaml printed JSON:\n%s", name, yamlOut)
			}
			if tc.want != "" && !strings.Contains(yamlOut, tc.want) {
				t.Errorf("%s -o yaml lacks %q:\n%s", name, tc.want, yamlOut)
			}
			// The same document: the keys of each object, in each format.
			if a, b := shape(fromJSON), shape(fromYAML); a != b && !tc.host {
				t.Errorf("%s: -o yaml and -o json differ in shape:\n%s\n%s", name, b, a)
			}
			if tc.quiet == nil {
				if res := s.lambda(append(tc.args, "-q")...); res.code == 0 {
					t.Errorf("%s -q: accepted for rows that have no name", name)
				}
				continue
			}
			want := tc.quiet(fromJSON)
			got := strings.Fields(s.mustLambda(append(tc.args, "--quiet")...).stdout)
			if tc.host {
				if !slices.Contains(got, tc.want) {
					t.Errorf("%s --quiet lacks %q: %q", name, tc.want, got)
				}
				continue
			}
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("%s --quiet printed %q, want %q (from -o json)", name, got, want)
			}
		}

		// Empty listings: an empty document and no line, exit 0.
		for _, args := range [][]string{{"project", "hooks"}, {"schedule", "list", hello}} {
			name := strings.Join(args, " ")
			if y := s.mustLambda(append(args, "-o", "yaml")...).stdout; strings.TrimSpace(y) != "[]" {
				t.Errorf("%s -o yaml with nothing to list: %q, want []", name, y)
			}
			if q := s.mustLambda(append(args, "-q")...).stdout; q != "" {
				t.Errorf("%s -q with nothing to list: %q, want nothing", name, q)
			}
		}

		// The table above covers every listing the CLI has, as its
		// reference pages (generated from the command tree, kept current
		// by TestCLIReferenceIsCurrent) name them; context list and init
		// --list, which call no server, are covered by their unit tests.
		covered := map[string]bool{"context list": true, "init": true, "project hooks": true}
		for _, tc := range listings {
			words := slices.DeleteFunc(slices.Clone(tc.args), func(a string) bool { return a == greet })
			covered[strings.Join(words, " ")] = true
		}
		pages, _ := filepath.Glob(filepath.Join("..", "docs", "cli", "lambda_*.md"))
		if len(pages) == 0 {
			t.Fatal("no CLI reference pages in ../docs/cli")
		}
		for _, p := range pages {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), "output format: table, json or yaml") {
				continue
			}
			title, _, _ := strings.Cut(strings.TrimPrefix(string(b), "## lambda "), "\n")
			if !covered[title] {
				t.Errorf("lambda %s lists (-o yaml, %s) but is not in this test's table", title, filepath.Base(p))
			}
		}
	})

	t.Run("completion of function names", func(t *testing.T) {
		res := s.mustLambda("__complete", "invoke", "")
		var names []string
		for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
			if !strings.HasPrefix(line, ":") {
				name, _, _ := strings.Cut(line, "\t")
				names = append(names, name)
			}
		}
		slices.Sort(names)
		want := []string{greet, hello}
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("__complete invoke: %q, want %q\n%s", names, want, res.stdout)
		}
		res = s.mustLambda("__complete", "rollback", greet, "--to", "")
		if !strings.Contains(res.stdout, "1\t") || !strings.Contains(res.stdout, "2\tactive") {
			t.Errorf("__complete rollback --to: %s", res.stdout)
		}
		if res := s.mustLambda("completion", "bash"); !strings.Contains(res.stdout, "__complete") {
			t.Errorf("completion bash printed no script")
		}
	})

	t.Run("did you mean", func(t *testing.T) {
		typo := strings.Replace(greet, "greet", "gret", 1)
		want := fmt.Sprintf("function %q not found — did you mean %q?", typo, greet)
		for _, args := range [][]string{{"describe", typo}, {"invoke", typo, "--data", "{}"}, {"versions", typo},
			{"invoke", typo, "--async"}, {"schedule", typo, "--cron", "@hourly"}, {"schedule", "list", typo}, {"redrive", typo, "--all"}} {
			res := s.lambda(args...)
			if res.code == 0 || !strings.Contains(res.stderr, want) {
				t.Errorf("lambda %s: exit %d, stderr %q; want %q", strings.Join(args, " "), res.code, res.stderr, want)
			}
		}
		// A name near nothing gets no guess.
		if res := s.lambda("describe", "zzzzzzzzzz"); res.code == 0 || strings.Contains(res.stderr, "did you mean") {
			t.Errorf("describe zzzzzzzzzz: %+v", res)
		}
	})

	t.Run("invoke reads a piped payload", func(t *testing.T) {
		res := s.lambdaIn([]byte(`{"name":"Ada"}`), "invoke", greet)
		var echo struct{ Body string }
		if res.code != 0 || json.Unmarshal([]byte(res.stdout), &echo) != nil || echo.Body != `{"name":"Ada"}` {
			t.Errorf("invoke with stdin: exit %d, stdout %s, stderr %s", res.code, res.stdout, res.stderr)
		}
		// No stdin (/dev/null): {} as before.
		res = s.mustLambda("invoke", greet)
		if json.Unmarshal([]byte(res.stdout), &echo) != nil || echo.Body != "{}" {
			t.Errorf("invoke without a payload: %s", res.stdout)
		}
	})
}

// shape renders the keys of v's objects, recursively, not its values:
// JSON and YAML decode numbers to different types.
func shape(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k+":"+shape(x[k]))
		}
		slices.Sort(keys)
		return "{" + strings.Join(keys, ",") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = shape(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return "."
}
