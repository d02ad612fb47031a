package runtimes

import (
	"bytes"
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
	"github.com/lambdahq/lambda/drivertest"
)

// requireDocker skips when no Docker engine answers, except under CI=true
// where that is a failure.
func requireDocker(t *testing.T) {
	t.Helper()
	err := exec.Command("docker", "info").Run()
	if err == nil {
		return
	}
	drivertest.SkipOrFail(t, "Docker is unavailable (docker info: %v)", err)
}

func docker(t *testing.T, stdin io.Reader, args ...string) string {
	t.Helper()
	cmd := exec.Command("docker", args...)
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// runHardened builds ctx as an image and runs it the way the platform
// does (non-root, read-only root, tmpfs /tmp, no capabilities, an init),
// returning the address its port 8080 is published on.
func runHardened(t *testing.T, ctx io.ReadCloser) string {
	t.Helper()
	tag := fmt.Sprintf("lambda-runtimes-test:%d", time.Now().UnixNano())
	// --no-cache: a layer reused from another build's cache can be pruned
	// under this one by an image removal in another test process
	// ("unknown parent image ID", seen in CI), as the docker driver's
	// builds retry (buildCacheRaces); this build has no retry.
	docker(t, ctx, "build", "--no-cache", "-q", "-t", tag, "-")
	ctx.Close()
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })
	id := docker(t, nil, "run", "-d", "--user", "1000:1000", "--read-only", "--tmpfs", "/tmp",
		"--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--init",
		"-e", "PORT=8080", "-p", "127.0.0.1::8080", tag)
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", id).Run() })
	port := docker(t, nil, "port", id, "8080/tcp")
	return strings.TrimSpace(strings.Split(port, "\n")[0])
}

func getWithRetry(t *testing.T, url string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestGoContextRunsInDocker builds the greet example with the host
// toolchain and serves a request from the resulting FROM scratch image.
func TestGoContextRunsInDocker(t *testing.T) {
	requireDocker(t)
	r := newTestRegistry(t, deadRegistry())
	dir := filepath.Join(examplesDir, "greet")
	rc, err := r.runtimes[1].Context(context.Background(), dir, lambda.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := runHardened(t, rc)
	status, body := getWithRetry(t, "http://"+addr+"/?name=Docker")
	if status != 200 || body != "{\"message\": \"Hello, Docker!\"}\n" {
		t.Fatalf("greet answered %d %q", status, body)
	}
}

// TestDockerfileContextRunsInDocker builds the hello-docker example, which
// needs busybox:latest (scripts/base-images.sh makes it without a registry).
func TestDockerfileContextRunsInDocker(t *testing.T) {
	requireDocker(t)
	if exec.Command("docker", "image", "inspect", "busybox:latest").Run() != nil {
		drivertest.SkipOrFail(t, "busybox:latest is missing: run scripts/base-images.sh")
	}
	dir := filepath.Join(examplesDir, "hello-docker")
	rc, err := (&dockerfileRuntime{}).Context(context.Background(), dir, lambda.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := runHardened(t, rc)
	status, body := getWithRetry(t, "http://"+addr+"/")
	if status != 200 || body != "{\"message\":\"Hello from a Dockerfile\"}\n" {
		t.Fatalf("hello-docker answered %d %q", status, body)
	}
}
