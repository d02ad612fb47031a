package main

import (
	"strings"
	"testing"
)

// lambda init completes its template names and the runtimes that have a
// template, offline (it calls no server), never files.
func TestCompletionInit(t *testing.T) {
	stdout, _, code := runCLI(t, "", "", "__complete", "init", "greet", "--template", "go-")
	if code != 0 || stdout != "go-http\ngo-aws\ngo-stdio\n:4\n" {
		t.Errorf("__complete init --template go-: exit %d, %q", code, stdout)
	}
	stdout, _, code = runCLI(t, "", "", "__complete", "init", "greet", "--runtime", "")
	if code != 0 || !strings.Contains(stdout, "dockerfile\n") || strings.Contains(stdout, "image") {
		t.Errorf("__complete init --runtime: exit %d, %q (init has no template of runtime image)", code, stdout)
	}
}
