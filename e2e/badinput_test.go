package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInput feeds the server and CLI what users get wrong: each gets a
// clear error, nothing is created, and the server keeps serving. Crafted
// uploads that bypass the CLI are in hostile_upload_test.go.
func TestBadInput(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	x := s.fn("x")

	empty := t.TempDir()
	noRuntime := t.TempDir()
	if err := os.WriteFile(filepath.Join(noRuntime, "README.txt"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := t.TempDir()
	if err := os.WriteFile(filepath.Join(big, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, 51<<20)
	for i := range blob {
		blob[i] = byte(i*7919 + i>>8)
	}
	if err := os.WriteFile(filepath.Join(big, "blob.bin"), blob, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad name", []string{"deploy", "testdata/fixture", "--name", "Bad_Name"}, "Bad_Name"},
		{"leading dash", []string{"deploy", "testdata/fixture", "--name", "-x"}, "dash"},
		{"too long", []string{"deploy", "testdata/fixture", "--name", strings.Repeat("a", 64)}, "64 characters"},
		{"missing dir", []string{"deploy", "testdata/nope", "--name", x}, "testdata/nope"},
		{"empty dir", []string{"deploy", empty, "--name", x}, "no files"},
		{"no runtime", []string{"deploy", noRuntime, "--name", x}, "Dockerfile"},
		{"too large", []string{"deploy", big, "--name", x}, ".lambdaignore"},
		{"bad env", []string{"deploy", "testdata/fixture", "--name", x, "--env", "NOEQUALS"}, "KEY=VALUE"},
		{"bad memory", []string{"deploy", "testdata/fixture", "--name", x, "--memory", "lots"}, "lots"},
		{"bad timeout", []string{"deploy", "testdata/fixture", "--name", x, "--timeout", "forever"}, "forever"},
		{"timeout too long", []string{"deploy", "testdata/fixture", "--name", x, "--timeout", "16m"}, "timeout"},
		{"bad json", []string{"invoke", x, "--data", "{nope"}, "JSON"},
		{"unknown function", []string{"describe", "nosuch"}, `"nosuch" not found`},
		{"unknown delete", []string{"delete", "nosuch"}, `"nosuch" not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.lambda(tc.args...)
			if res.code == 0 || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("exit %d, stderr lacks %q:\n%s", res.code, tc.want, res.stderr)
			}
		})
	}
	if res := s.lambda("describe", x); res.code == 0 {
		t.Errorf("bad input created the function: %s", res.stdout)
	}
	if out := docker(t, "images", "-q", "func-"+x); out != "" {
		t.Errorf("bad input left images: %s", out)
	}
	if resp, body := s.request("GET", "", "/healthz", nil); resp.StatusCode != 200 {
		t.Errorf("server unhealthy after bad input: %s", body)
	}
}
