package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The pages in docs/cli are what the commands generate: a command, flag or
// help text changed without regenerating them fails here.
func TestCLIReferenceIsCurrent(t *testing.T) {
	pinDocsEnv(func(k, v string) error { t.Setenv(k, v); return nil })
	fresh := t.TempDir()
	if _, err := writeDocs(fresh); err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("..", "..", docsDir)
	want, got := pages(t, fresh), pages(t, committed)
	fix := "regenerate it with `" + regenerateDocs + "` (from the repository's root) and commit " + docsDir
	if !slices.Equal(got, want) {
		t.Fatalf("%s has the pages %v, the commands generate %v: %s", docsDir, got, want, fix)
	}
	for _, name := range want {
		w, _ := os.ReadFile(filepath.Join(fresh, name))
		g, _ := os.ReadFile(filepath.Join(committed, name))
		if string(w) != string(g) {
			t.Errorf("%s/%s is stale: %s", docsDir, name, fix)
		}
	}
}

func pages(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "lambda*.md"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range m {
		names = append(names, filepath.Base(p))
	}
	slices.Sort(names)
	return names
}

// The hidden command writes the same pages the test compares against,
// and takes away the page of a command that no longer exists.
func TestDocsCommand(t *testing.T) {
	// The command pins the environment for good (its process ends after
	// it); pinned here first, the test's environment comes back after it.
	pinDocsEnv(func(k, v string) error { t.Setenv(k, v); return nil })
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lambda_gone.md"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCLI(t, "", "", "docs", dir)
	if code != 0 || !strings.Contains(stderr, "Wrote ") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	names := pages(t, dir)
	for _, want := range []string{"lambda.md", "lambda_deploy.md", "lambda_completion_bash.md", "lambda_list.md"} {
		if !slices.Contains(names, want) {
			t.Errorf("no %s in %v", want, names)
		}
	}
	if slices.Contains(names, "lambda_gone.md") || slices.Contains(names, "lambda_docs.md") {
		t.Errorf("a stale or hidden page: %v", names)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "lambda_deploy.md"))
	if !strings.Contains(string(b), "--watch") || strings.Contains(string(b), "Auto generated") {
		t.Errorf("lambda_deploy.md:\n%s", b)
	}
}
