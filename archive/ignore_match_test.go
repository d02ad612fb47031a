package archive

import (
	"os"
	"path/filepath"
	"testing"
)

func TestIgnoreMatchesPack(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".lambdaignore"), []byte("node_modules\n*.log\nbuild/\n!build/keep.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ig, err := LoadIgnore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		rel              string
		excluded, within bool // within: Descend's answer for a directory
	}{
		{"handler.py", false, true},
		{"debug.log", true, false},
		{"node_modules", true, false},
		{"node_modules/x/index.js", true, false},
		{"build", true, true}, // an exception may bring back build/keep.txt
		{"build/keep.txt", false, true},
		{".lambdaignore", false, true}, // always packed
		{"src", false, true},
	} {
		if got := ig.Excluded(tc.rel); got != tc.excluded {
			t.Errorf("Excluded(%q) = %v, want %v", tc.rel, got, tc.excluded)
		}
		if got := ig.Descend(tc.rel); got != tc.within {
			t.Errorf("Descend(%q) = %v, want %v", tc.rel, got, tc.within)
		}
	}
	if !IsIgnoreFile(".dockerignore") || IsIgnoreFile("handler.py") {
		t.Error("IsIgnoreFile")
	}
}
