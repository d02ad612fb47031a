package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// init's DIR is something other than a directory: each refusal says what
// DIR is, writes nothing and changes nothing; and the flags of the
// commands that call a server are refused with a reason that fits init.
func TestInitHostileDir(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "afile")
	os.WriteFile(file, []byte("mine"), 0o644)
	dangling := filepath.Join(base, "dangling")
	os.Symlink(filepath.Join(base, "nowhere"), dangling)
	for _, tc := range []struct{ dir, want string }{
		{file, "is a file, not a directory"},
		{dangling, "is a link to nothing"},
	} {
		_, stderr, code := runCLI(t, "", "", "init", tc.dir, "--runtime", "node", "--name", "fn")
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("init %s: exit %d, %q; want %q", tc.dir, code, stderr, tc.want)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "mine" {
		t.Errorf("the file was changed: %q", b)
	}
	if _, err := os.Lstat(filepath.Join(base, "nowhere")); !os.IsNotExist(err) {
		t.Errorf("the link's target was created: %v", err)
	}
	_, stderr, code := runCLI(t, "", "", "init", filepath.Join(base, "x"), "--runtime", "node", "--context", "prod")
	if code == 0 || !strings.Contains(stderr, `--context is for the commands that call a server: "lambda init" calls none`) {
		t.Errorf("init --context: exit %d, %q", code, stderr)
	}
}
