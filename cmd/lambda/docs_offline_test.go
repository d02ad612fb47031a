package main

import (
	"testing"
)

// lambda docs (go generate) calls no server: a developer's LAMBDA_CONTEXT
// naming a context this machine lacks does not stop it.
func TestDocsCommandOffline(t *testing.T) {
	isolateCredentials(t)
	pinDocsEnv(func(k, v string) error { t.Setenv(k, v); return nil })
	t.Setenv("LAMBDA_CONTEXT", "nope")
	if _, stderr, code := runCLI(t, "", "", "docs", t.TempDir()); code != 0 {
		t.Fatalf("docs with an unknown LAMBDA_CONTEXT: exit %d, %s", code, stderr)
	}
}
