package archive

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIgnorer(t *testing.T) {
	tests := []struct {
		name     string
		docker   string
		lambda   string
		path     string
		excluded bool
		descend  bool // for an excluded directory: may an exception match inside?
	}{
		{"no patterns", "", "", "a/b", false, false},
		{"plain", "", "node_modules", "node_modules", true, false},
		{"inside excluded", "", "node_modules", "node_modules/x/y.js", true, false},
		{"exception inside", "", "node_modules\n!node_modules/keep", "node_modules", true, true},
		{"exception elsewhere", "", "node_modules\n!vendor/keep", "node_modules", true, false},
		{"exception double star", "", "cache\n!**/important.txt", "cache", true, true},
		{"exception wildcard dir", "", "pkgs\n!*/keep", "pkgs", true, true},
		{"exception wildcard mismatch", "", "pkgs\n!lib*/keep", "pkgs", true, false},
		{"exception re-includes file", "", "docs/*.md\n!docs/a.md", "docs/a.md", false, false},
		{"lambdaignore overrides dockerignore", "*.txt", "!keep.txt", "keep.txt", false, false},
		{"dockerignore alone", "*.txt", "", "x.txt", true, false},
		{"ignore files always kept", "", "*\n", ".lambdaignore", false, false},
		{"double star suffix", "", "**/*.tmp", "a/b/c.tmp", true, false},
		{"leading slash", "", "/secret", "secret", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.docker != "" {
				mustNil(t, os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte(tt.docker), 0o644))
			}
			if tt.lambda != "" {
				mustNil(t, os.WriteFile(filepath.Join(dir, ".lambdaignore"), []byte(tt.lambda), 0o644))
			}
			ig, err := loadIgnorer(dir)
			mustNil(t, err)
			excluded, err := ig.excluded(tt.path)
			mustNil(t, err)
			if excluded != tt.excluded {
				t.Errorf("excluded(%q) = %v, want %v", tt.path, excluded, tt.excluded)
			}
			if descend := ig.mayReinclude(tt.path); excluded && descend != tt.descend {
				t.Errorf("mayReinclude(%q) = %v, want %v", tt.path, descend, tt.descend)
			}
		})
	}
}

func TestPrefixCouldMatch(t *testing.T) {
	tests := []struct {
		pattern, dir string
		want         bool
	}{
		{"a/b/c", "a", true},
		{"a/b/c", "a/b", true},
		{"a/b/c", "a/x", false},
		{"a", "a/b", true}, // matches a parent of everything below
		{"x", "a", false},
		{"*/c", "a", true},
		{"*/c", "a/b", false},
		{"a*/c", "b", false},
		{"**/c", "z/y", true},
		{"a/**", "a/q/r", true},
		{"[", "a", true}, // cannot judge: descend
	}
	for _, tt := range tests {
		if got := prefixCouldMatch(tt.pattern, tt.dir); got != tt.want {
			t.Errorf("prefixCouldMatch(%q, %q) = %v, want %v", tt.pattern, tt.dir, got, tt.want)
		}
	}
}

func TestIgnoreFileInvalid(t *testing.T) {
	dir := t.TempDir()
	mustNil(t, os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("!\n"), 0o644))
	_, err := loadIgnorer(dir)
	if err == nil || !strings.Contains(err.Error(), ".dockerignore") {
		t.Fatalf("got %v, want an error naming .dockerignore", err)
	}
}
