package sdk

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lambdahq/lambda/drivertest"
)

// nonTestSources lists the package's files the build uses.
func nonTestSources(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(names, func(n string) bool { return strings.HasSuffix(n, "_test.go") })
}

func TestSourceIsComplete(t *testing.T) {
	for _, name := range nonTestSources(t) {
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fs.ReadFile(Source, name)
		if err != nil || string(got) != string(want) {
			t.Errorf("Source lacks %s or differs from it (%v)", name, err)
		}
	}
}

// TestStandardLibraryOnly: the server builds functions offline with
// Source alone, so the package may import nothing else.
func TestStandardLibraryOnly(t *testing.T) {
	fset := token.NewFileSet()
	for _, name := range nonTestSources(t) {
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s, which is not in the standard library", name, path)
			}
		}
	}
}

// TestBuildFromSource builds a function the way the server does: Source
// in a stand-in module, no network, then runs it with -info.
func TestBuildFromSource(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		if goTool, err = exec.LookPath(filepath.Join(os.Getenv("GOROOT"), "bin", "go")); err != nil {
			drivertest.SkipOrFail(t, "no go tool in PATH")
		}
	}
	dir := t.TempDir()
	standin := filepath.Join(dir, "standin")
	write(t, filepath.Join(standin, "go.mod"), "module github.com/lambdahq/lambda\n\ngo 1.26\n")
	err = fs.WalkDir(Source, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := fs.ReadFile(Source, path)
		write(t, filepath.Join(standin, "sdk", path), string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fn := filepath.Join(dir, "fn")
	write(t, filepath.Join(fn, "go.mod"), "module example.com/add\n\ngo 1.26\n\nrequire github.com/lambdahq/lambda v0.0.0\n\nreplace github.com/lambdahq/lambda => ../standin\n")
	write(t, filepath.Join(fn, "main.go"), `package main

import "github.com/lambdahq/lambda/sdk"

func add(a, b float64) float64 { return a + b }

func main() { sdk.Start(sdk.Func(add, "a", "b"), sdk.Info{Name: "add"}) }
`)
	bin := filepath.Join(dir, "bootstrap")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Dir = fn
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-info").Output()
	if err != nil || !strings.Contains(string(out), `"name": "add"`) || !strings.Contains(string(out), `"style": "func"`) {
		t.Errorf("-info: %v\n%s", err, out)
	}
	// The embedded source is dead code in functions: it must not weigh on
	// every function binary.
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "Package sdk writes functions") {
		t.Error("the function binary embeds the SDK's source")
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
