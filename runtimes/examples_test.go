package runtimes

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lambdahq/lambda"
)

// examplesDir holds the example functions shipped with the repository.
var examplesDir = filepath.Join("..", "examples")

// exampleRuntimes is every example and the runtime it must be detected as,
// so that a new example without an entry here fails.
var exampleRuntimes = map[string]string{
	"greet":        lambda.RuntimeGo,
	"echo":         lambda.RuntimeGo,
	"calculator":   lambda.RuntimeGo,
	"hello-docker": lambda.RuntimeDockerfile,
}

// TestExamples vets each Go example and builds it the way a deploy without
// a builder image would, so a broken example fails CI.
func TestExamples(t *testing.T) {
	entries, err := os.ReadDir(examplesDir)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		seen++
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			want, ok := exampleRuntimes[name]
			if !ok {
				t.Fatalf("example %s is not listed in exampleRuntimes", name)
			}
			dir := filepath.Join(examplesDir, name)
			r := newTestRegistry(t, deadRegistry())
			rt, err := r.Detect(dir, "")
			if err != nil {
				t.Fatal(err)
			}
			if rt.Name() != want {
				t.Fatalf("detected %s, want %s", rt.Name(), want)
			}
			if want != lambda.RuntimeGo {
				readContext(t, mustContext(t, rt, dir))
				return
			}
			vet := exec.Command(r.HostGo, "vet", "./...")
			vet.Dir = dir
			vet.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=-mod=mod")
			if out, err := vet.CombinedOutput(); err != nil {
				t.Fatalf("go vet: %v\n%s", err, out)
			}
			assertStaticELF(t, readContext(t, mustContext(t, rt, dir))["function"].data)
		})
	}
	if seen != len(exampleRuntimes) {
		t.Errorf("found %d examples, exampleRuntimes lists %d", seen, len(exampleRuntimes))
	}
}

func mustContext(t *testing.T, rt Runtime, dir string) io.ReadCloser {
	t.Helper()
	rc, err := rt.Context(context.Background(), dir, lambda.Config{}, nil)
	if err != nil {
		t.Fatalf("Context: %v", err)
	}
	return rc
}
