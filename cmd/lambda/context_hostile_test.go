package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A contexts file edited by hand into valid JSON that is no valid context
// (an entry null, without a server, with a server that is no URL) never
// crashes a command: listing, completing and removing still work, and a
// command that would use the broken context says which and how to fix it.
func TestContextsFileHostile(t *testing.T) {
	for _, tc := range []struct{ name, file string }{
		{"null entry", `{"current":"a","contexts":{"a":null,"ok":{"server":"http://127.0.0.1:1"}}}`},
		{"no server", `{"current":"a","contexts":{"a":{},"ok":{"server":"http://127.0.0.1:1"}}}`},
		{"not a URL", `{"current":"a","contexts":{"a":{"server":"::nope"},"ok":{"server":"http://127.0.0.1:1"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			configDir := isolateCredentials(t)
			t.Setenv("LAMBDA_SERVER", "")
			t.Setenv("LAMBDA_CONTEXT", "")
			path := filepath.Join(configDir, "lambda", contextsFile)
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			stdout, stderr, code := runCLI(t, "", "", "context", "list")
			if code != 0 || !strings.Contains(stdout, "a *") || !strings.Contains(stdout, "ok ") {
				t.Errorf("context list: exit %d\n%s%s", code, stdout, stderr)
			}
			stdout, stderr, code = runCLI(t, "", "", "__complete", "context", "use", "")
			if code != 0 || !regexp.MustCompile(`(?m)^a(\t|$)`).MatchString(stdout) || !strings.Contains(stdout, "ok\thttp://127.0.0.1:1") {
				t.Errorf("__complete context use: exit %d\n%s%s", code, stdout, stderr)
			}
			// A command going to the broken context is refused before any request.
			_, stderr, code = runCLI(t, "", "", "list")
			if code == 0 || !strings.Contains(stderr, `context "a"`) || !strings.Contains(stderr, "lambda context rm a") {
				t.Errorf("list with the broken context current: exit %d, %q", code, stderr)
			}
			// It can be removed, and the other one used.
			if _, stderr, code = runCLI(t, "", "", "context", "rm", "a"); code != 0 {
				t.Fatalf("context rm a: exit %d, %s", code, stderr)
			}
			if _, stderr, code = runCLI(t, "", "", "context", "use", "ok"); code != 0 {
				t.Fatalf("context use ok: exit %d, %s", code, stderr)
			}
		})
	}
}
