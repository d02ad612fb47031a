package runtimes

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// fixturesDir holds the functions the e2e tests deploy too.
var fixturesDir = filepath.Join("..", "e2e", "testdata")

// prepared runs PrepareRuntimes once per test binary: the first run on a
// machine assembles the base images (about a minute), later ones find them.
func prepared(t *testing.T) (*Registry, cliDriver) {
	t.Helper()
	r, d := dockerRegistry(t)
	if err := r.PrepareRuntimes(context.Background(), testProgress{t, time.Now()}); err != nil {
		t.Fatalf("PrepareRuntimes: %v", err)
	}
	return r, d
}

// buildFunction builds dir as the engine would and returns the image ID.
func buildFunction(t *testing.T, r *Registry, d cliDriver, dir string, cfg lambda.Config) (string, lambda.Config) {
	t.Helper()
	build := func() (string, lambda.Config, error) {
		cfg, rc, err := r.BuildContext(context.Background(), dir, cfg, nil)
		if err != nil {
			t.Fatalf("BuildContext(%s): %v", dir, err)
		}
		defer rc.Close()
		id, err := d.BuildImage(context.Background(), lambda.BuildRequest{Context: rc})
		return id, cfg, err
	}
	// A build that raced with an image removal is retried once, as the
	// engine does.
	id, cfg, err := build()
	if lambda.ErrorCode(err) == lambda.ECONFLICT {
		id, cfg, err = build()
	}
	if err != nil {
		t.Fatalf("build %s: %v", dir, err)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", id).Run() })
	return id, cfg
}

// runFunction runs image as the platform runs functions and returns the
// address of its port 8080.
func runFunction(t *testing.T, image string, env ...string) string {
	t.Helper()
	args := []string{"run", "-d", "--user", "1000:1000", "--read-only", "--tmpfs", "/tmp",
		"--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--init",
		"-e", "PORT=8080", "-e", "LAMBDA_FUNCTION_NAME=hello", "-e", "LAMBDA_FUNCTION_VERSION=1", "-e", "LAMBDA_FUNCTION_MEMORY_MB=128",
		"-p", "127.0.0.1::8080"}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	id := docker(t, nil, append(args, image)...)
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := exec.Command("docker", "logs", id).CombinedOutput()
			t.Logf("container logs:\n%s", logs)
		}
		exec.Command("docker", "rm", "-f", id).Run()
	})
	port := docker(t, nil, "port", id, "8080/tcp")
	return strings.TrimSpace(strings.Split(port, "\n")[0])
}

// call sends a request to a function behind the shim, retrying while it
// starts (the shim listens once the handler is loaded).
func call(t *testing.T, method, url, body string, header ...string) (int, http.Header, string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, resp.Header, string(data)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s: %v", method, url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestHandlerFunctionsInDocker prepares the runtimes without a registry,
// builds the Python and Node fixtures (each with a dependency installed
// from the function's own files) and calls them through the shim as the
// runtime contract says.
func TestHandlerFunctionsInDocker(t *testing.T) {
	r, d := prepared(t)
	tests := []struct {
		fixture, runtime, errorType string
		hello                       string // the answer to ?name=World
	}{
		{"python-hello", lambda.RuntimePython, "ValueError", `{"message": "Hello, World!"}`},
		{"node-hello", lambda.RuntimeNode, "Error", `{"message":"Hello, World!"}`},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			image, cfg := buildFunction(t, r, d, filepath.Join(fixturesDir, tt.fixture), lambda.Config{})
			if cfg.Runtime != tt.runtime || cfg.Protocol != lambda.ProtocolHandler {
				t.Fatalf("config %+v", cfg)
			}
			base := "http://" + runFunction(t, image, "GREETING=Hello")

			status, h, body := call(t, "GET", base+"/?name=World", "")
			if status != 200 || body != tt.hello || h.Get("Content-Type") != "application/json" {
				t.Errorf("GET ?name=World: %d %s %q", status, h.Get("Content-Type"), body)
			}
			status, _, body = call(t, "POST", base+"/", `{"name":"Ada"}`, "X-Lambda-Invoke-Mode", "raw")
			if status != 200 || !strings.Contains(body, "Hello, Ada!") {
				t.Errorf("raw invoke: %d %q", status, body)
			}
			status, h, body = call(t, "GET", base+"/?status=201&name=Bob", "")
			if status != 201 || body != "Hello, Bob!" || h.Get("X-Fixture") != tt.fixture {
				t.Errorf("HTTP response result: %d %v %q", status, h, body)
			}
			status, h, body = call(t, "POST", base+"/", `{"fail":"boom"}`, "X-Lambda-Invoke-Mode", "raw")
			want := fmt.Sprintf(`{"errorMessage":"boom","errorType":%q}`, tt.errorType)
			if status != 500 || body != want || h.Get("X-Lambda-Function-Error") != "Unhandled" {
				t.Errorf("handler error: %d %v %q, want 500 %s", status, h, body, want)
			}
			status, _, body = call(t, "GET", base+"/some/path?context=1&x=y", "")
			for _, part := range []string{`"function_name":`, `"hello"`, `"path":`, `"/some/path"`, `"remaining_ms_positive":`} {
				if status != 200 || !strings.Contains(strings.ReplaceAll(body, ": ", ":"), strings.ReplaceAll(part, ": ", ":")) {
					t.Errorf("context: %d %s lacks %s", status, body, part)
				}
			}
		})
	}
}

// TestHandlerBuildFailures: a failing requirements install fails the
// build with pip's output; a handler that cannot load makes the shim exit
// at start with the bootstrap's message in the container's log.
func TestHandlerBuildFailures(t *testing.T) {
	r, d := prepared(t)
	dir := writeTree(t, map[string]string{"handler.py": pyHandler, "requirements.txt": "./wheels/missing-1.0-py3-none-any.whl\n"})
	_, rc, err := r.BuildContext(context.Background(), dir, lambda.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.BuildImage(context.Background(), lambda.BuildRequest{Context: rc})
	rc.Close()
	if err == nil || !strings.Contains(err.Error(), "missing-1.0-py3-none-any.whl") {
		t.Fatalf("build with a missing wheel: %v", err)
	}

	dir = writeTree(t, map[string]string{"handler.py": "def handler(event, context)\n    return 1\n"})
	image, _ := buildFunction(t, r, d, dir, lambda.Config{})
	out, err := exec.Command("docker", "run", "--rm", "--user", "1000:1000", "--read-only", "-e", "PORT=8080", image).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "SyntaxError") || !strings.Contains(string(out), "handler.py") {
		t.Fatalf("a syntax error did not stop the instance (%v):\n%s", err, out)
	}
}

// TestHandlerLayersShared: functions of a runtime share the base, shim
// and bootstrap layers; what a function adds is small.
func TestHandlerLayersShared(t *testing.T) {
	r, d := prepared(t)
	runtime, err := r.runtimeImage(python)
	if err != nil {
		t.Fatal(err)
	}
	shared := d.layers(runtime)
	a, _ := buildFunction(t, r, d, filepath.Join(fixturesDir, "python-hello"), lambda.Config{})
	b, _ := buildFunction(t, r, d, filepath.Join(examplesDir, "python-greet"), lambda.Config{})
	for _, img := range []string{a, b} {
		layers := d.layers(img)
		if len(layers) <= len(shared) || strings.Join(layers[:len(shared)], ",") != strings.Join(shared, ",") {
			t.Fatalf("image %s does not start with the runtime image's %d layers:\n%v\n%v", img, len(shared), layers, shared)
		}
		fn, err := d.InspectImage(context.Background(), img)
		if err != nil {
			t.Fatal(err)
		}
		base, _ := d.InspectImage(context.Background(), runtime)
		if added := fn.Size - base.Size; added > 1<<20 {
			t.Errorf("function image %s adds %d bytes to the runtime image, want under 1 MB", img, added)
		}
	}
}
