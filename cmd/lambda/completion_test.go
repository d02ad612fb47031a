package main

import (
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// completions runs cobra's hidden __complete as a shell's script does and
// returns the candidates, without their descriptions, and the directive.
func completions(t *testing.T, url string, args ...string) ([]string, string) {
	t.Helper()
	stdout, stderr, code := runCLI(t, url, "", append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %v: exit %d: %s", args, code, stderr)
	}
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	var got []string
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t")
		got = append(got, name)
	}
	return got, lines[len(lines)-1]
}

func TestCompletion(t *testing.T) {
	api, url := newFakeAPI(t)
	api.add("greet", 3, time.Now())
	api.add("hello", 1, time.Now())
	api.jobs.add(lambda.Job{ID: "inv-ok", Function: "greet", Status: lambda.StatusSucceeded})
	api.jobs.add(lambda.Job{ID: "inv-dead", Function: "greet", Status: lambda.StatusDead})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"invoke", ""}, "greet,hello"},
		{[]string{"invoke", "gr"}, "greet"},
		{[]string{"invoke", "greet", ""}, ""}, // one name only
		{[]string{"describe", "h"}, "hello"},
		{[]string{"schedule", "list", ""}, "greet,hello"},
		{[]string{"rollback", "greet", "--to", ""}, "1,2,3"},
		{[]string{"logs", "greet", "--version", "3"}, "3"},
		{[]string{"deploy", "--name", "he"}, "hello"},
		{[]string{"deploy", "--runtime", "py"}, "python"},
		{[]string{"deploy", "--protocol", ""}, "http,aws,stdio"},
		{[]string{"invocations", "greet", "--status", "de"}, "dead"},
		{[]string{"list", "-o", ""}, "table,json,yaml"},
		{[]string{"redrive", "greet", "--id", ""}, "inv-dead"},
	} {
		got, directive := completions(t, url, tc.args...)
		if strings.Join(got, ",") != tc.want || !strings.HasPrefix(directive, ":") {
			t.Errorf("__complete %q: got %q (%s), want %q", tc.args, got, directive, tc.want)
		}
	}
}

// A server that does not answer completes nothing, quietly: a Tab must
// never print an error into the line being typed.
func TestCompletionServerDown(t *testing.T) {
	stdout, stderr, code := runCLI(t, "http://127.0.0.1:1", "", "__complete", "invoke", "")
	if code != 0 || !strings.HasPrefix(stdout, ":4") || strings.Contains(stderr, "Error:") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		stdout, stderr, code := runCLI(t, "", "", "completion", shell)
		if code != 0 || !strings.Contains(stdout, "__complete") {
			t.Errorf("completion %s: exit %d, stderr %q, %d bytes", shell, code, stderr, len(stdout))
		}
	}
}

// Contexts complete offline, from the user's config.
func TestCompletionContexts(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv("LAMBDA_CONTEXT", "")
	for _, name := range []string{"prod", "staging"} {
		if _, stderr, code := runCLI(t, "", "", "context", "add", name, "--server", "https://"+name+".example.com"); code != 0 {
			t.Fatalf("context add: %s", stderr)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"context", "use", ""}, "default,prod,staging"},
		{[]string{"context", "rm", "st"}, "staging"},
		{[]string{"list", "--context", "p"}, "prod"},
	} {
		got, _ := completions(t, "", tc.args...)
		if strings.Join(got, ",") != tc.want {
			t.Errorf("__complete %q: got %q, want %q", tc.args, got, tc.want)
		}
	}
}
