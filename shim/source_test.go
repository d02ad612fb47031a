package shim

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda/drivertest"
)

// TestSourceBuildsStandalone builds the embedded source the way the
// runtimes package does inside Docker builds: the non-test files alone in
// a module of their own, with no dependencies, and a main like
// cmd/lambda-shim's.
func TestSourceBuildsStandalone(t *testing.T) {
	goBin := drivertest.LookPath(t, "go")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "shim"), 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(Source, ".")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		b, err := fs.ReadFile(Source, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "github.com/lambdahq/lambda") {
			t.Errorf("%s imports the repository: the shim must build from the standard library alone", e.Name())
		}
		if err := os.WriteFile(filepath.Join(dir, "shim", e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n < 5 {
		t.Fatalf("Source holds %d files", n)
	}
	files := map[string]string{
		"go.mod":  "module lambdashim\n\ngo 1.22\n",
		"main.go": "package main\n\nimport (\n\t\"os\"\n\n\t\"lambdashim/shim\"\n)\n\nfunc main() { os.Exit(shim.Main(os.Args[1:])) }\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(goBin, "build", "-trimpath", "-o", filepath.Join(dir, "lambda-shim"), ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, _ := exec.Command(filepath.Join(dir, "lambda-shim"), "--protocol", "stdio").CombinedOutput()
	if !strings.Contains(string(out), "no command given") {
		t.Errorf("the built shim answered %q", out)
	}
}
