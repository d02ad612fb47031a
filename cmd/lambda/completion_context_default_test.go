package main

import (
	"strings"
	"testing"
)

// "default" (no context) is a value of context use and --context, so it
// is completed there; context rm cannot remove it, so not there.
func TestCompletionContextDefault(t *testing.T) {
	isolateCredentials(t)
	t.Setenv("LAMBDA_CONTEXT", "")
	if _, stderr, code := runCLI(t, "", "", "context", "add", "prod", "--server", "https://prod.example.com"); code != 0 {
		t.Fatal(stderr)
	}
	for _, args := range [][]string{{"__complete", "context", "use", ""}, {"__complete", "--context", ""}} {
		stdout, _, _ := runCLI(t, "", "", args...)
		if !strings.Contains(stdout, "default\t") || !strings.Contains(stdout, "prod\thttps://prod.example.com") {
			t.Errorf("%v: %q", args, stdout)
		}
	}
	stdout, _, _ := runCLI(t, "", "", "__complete", "context", "rm", "")
	if strings.Contains(stdout, "default") || !strings.Contains(stdout, "prod\t") {
		t.Errorf("__complete context rm: %q", stdout)
	}
}
