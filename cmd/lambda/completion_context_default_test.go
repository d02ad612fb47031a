package main

import (
	"os"
	"path/filepath"
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

// The completion scripts call no server: a shell's startup file running
// "source <(lambda completion bash)" works whatever the contexts say (an
// unknown LAMBDA_CONTEXT, a contexts file others may read).
func TestCompletionScriptOffline(t *testing.T) {
	configDir := isolateCredentials(t)
	t.Setenv("LAMBDA_CONTEXT", "nope")
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		stdout, stderr, code := runCLI(t, "", "", "completion", shell)
		if code != 0 || !strings.Contains(stdout, "__complete") {
			t.Errorf("completion %s with an unknown LAMBDA_CONTEXT: exit %d, %q", shell, code, stderr)
		}
	}
	t.Setenv("LAMBDA_CONTEXT", "")
	path := filepath.Join(configDir, "lambda", contextsFile)
	os.MkdirAll(filepath.Dir(path), 0o700)
	os.WriteFile(path, []byte(`{"contexts":{}}`), 0o644)
	if _, stderr, code := runCLI(t, "", "", "completion", "bash"); code != 0 {
		t.Errorf("completion bash with a contexts file others may read: exit %d, %q", code, stderr)
	}
}
