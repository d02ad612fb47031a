package runtimes

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// examplesDir holds the example functions shipped with the repository.
var examplesDir = filepath.Join("..", "examples")

// exampleRuntimes is every example with the runtime and protocol it must
// resolve to, so that a new example without an entry here fails.
var exampleRuntimes = map[string][2]string{
	"greet":         {lambda.RuntimeGo, lambda.ProtocolHTTP},
	"echo":          {lambda.RuntimeGo, lambda.ProtocolHTTP},
	"calculator":    {lambda.RuntimeGo, lambda.ProtocolHTTP},
	"sdk-add":       {lambda.RuntimeGo, lambda.ProtocolHandler},
	"sdk-lifecycle": {lambda.RuntimeGo, lambda.ProtocolHandler},
	"hello-docker":  {lambda.RuntimeDockerfile, lambda.ProtocolHTTP},
	"python-greet":  {lambda.RuntimePython, lambda.ProtocolHandler},
	"node-greet":    {lambda.RuntimeNode, lambda.ProtocolHandler},
}

// exampleNotFunctions are examples that are not deployed as a function,
// with what they are instead (e2e tests cover them).
var exampleNotFunctions = map[string]string{
	"compose": "Docker Compose services the gateway serves by their labels (runtime external; e2e/compose_test.go)",
}

// TestExamples resolves each example; it vets each Go example and builds
// it the way a deploy without a builder image would, and compiles the
// Python and Node ones when the host has the interpreter, so a broken
// example fails CI.
func TestExamples(t *testing.T) {
	entries, err := os.ReadDir(examplesDir)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		if _, ok := exampleNotFunctions[e.Name()]; !e.IsDir() || ok {
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
			rt, cfg, err := r.Resolve(dir, lambda.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Runtime != want[0] || cfg.Protocol != want[1] {
				t.Fatalf("resolved to %s/%s, want %s/%s", cfg.Runtime, cfg.Protocol, want[0], want[1])
			}
			switch want[0] {
			case lambda.RuntimeGo:
				vet := exec.Command(r.HostGo, "vet", "./...")
				vet.Dir = dir
				vet.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=-mod=mod")
				if out, err := vet.CombinedOutput(); err != nil {
					t.Fatalf("go vet: %v\n%s", err, out)
				}
				if cfg.Protocol == lambda.ProtocolHTTP {
					assertStaticELF(t, readContext(t, mustContext(t, rt, dir, cfg))["function"].data)
				}
			case lambda.RuntimeDockerfile:
				readContext(t, mustContext(t, rt, dir, cfg))
			case lambda.RuntimePython:
				checkSyntax(t, "python3", "-m", "py_compile", filepath.Join(dir, "handler.py"))
			case lambda.RuntimeNode:
				checkSyntax(t, "node", "--check", filepath.Join(dir, "index.js"))
			}
		})
	}
	if seen != len(exampleRuntimes) {
		t.Errorf("found %d examples, exampleRuntimes lists %d", seen, len(exampleRuntimes))
	}
}

// checkSyntax runs an interpreter's syntax check, skipping (failing when
// CI=true) when the host lacks the interpreter.
func checkSyntax(t *testing.T, name string, args ...string) {
	t.Helper()
	drivertest.LookPath(t, name)
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func mustContext(t *testing.T, rt Runtime, dir string, cfg lambda.Config) io.ReadCloser {
	t.Helper()
	rc, err := rt.Context(context.Background(), dir, cfg, nil)
	if err != nil {
		t.Fatalf("Context: %v", err)
	}
	return rc
}
