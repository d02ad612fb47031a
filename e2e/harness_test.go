// Package e2e drives the real lambda binary against real Docker: it builds
// the binary once, starts servers on free ports with temporary data
// directories and runs CLI commands as a user would.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var binary string // path of the lambda binary under test

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "lambda-e2e-bin-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "lambda")
	build := exec.Command("go", "build", "-o", binary, "../cmd/lambda")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build lambda: %v\n%s", err, out)
	}
	return m.Run(), nil
}

// requireDocker skips the test without a Docker engine, except in CI where
// a missing engine is a failure.
func requireDocker(t *testing.T) {
	t.Helper()
	out, err := exec.Command("docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("Docker is required in CI: %v\n%s", err, out)
	}
	t.Skipf("Docker is not available: %v", err)
}

// server is a running `lambda server` process.
type server struct {
	t       *testing.T
	port    int
	dataDir string
	env     []string
	cmd     *exec.Cmd
	logs    *syncBuffer
	done    chan error
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServer starts a server with a fresh data directory; extra env vars
// (e.g. DOCKER_HOST) are added to its environment.
func startServer(t *testing.T, env ...string) *server {
	t.Helper()
	s := &server{t: t, port: freePort(t), dataDir: t.TempDir(), env: env}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *server) start() {
	s.t.Helper()
	s.logs = &syncBuffer{}
	s.cmd = exec.Command(binary, "server", "--addr", fmt.Sprintf("127.0.0.1:%d", s.port), "--data", s.dataDir, "--domain", "localhost", "--log-level", "debug")
	s.cmd.Env = append(os.Environ(), s.env...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.url("/healthz"))
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("server did not start:\n%s", s.logs.String())
}

// stop sends SIGTERM and waits for a graceful exit.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("server exited with %v:\n%s", err, s.logs.String())
		}
	case <-time.After(40 * time.Second):
		_ = s.cmd.Process.Kill()
		s.t.Errorf("server did not shut down within 40s")
	}
	if s.t.Failed() {
		s.t.Logf("server log:\n%s", s.logs.String())
	}
}

func (s *server) restart() {
	s.t.Helper()
	s.stop()
	s.start()
}

func (s *server) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", s.port, path)
}

// result is what a CLI run printed.
type result struct {
	stdout, stderr string
	code           int
}

// lambda runs the CLI against s.
func (s *server) lambda(args ...string) result {
	return s.lambdaIn(nil, args...)
}

func (s *server) lambdaIn(stdin []byte, args ...string) result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"--server", s.url("")}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("lambda %v: %v", args, err)
	}
	return res
}

// mustLambda runs the CLI and fails the test on a non-zero exit.
func (s *server) mustLambda(args ...string) result {
	s.t.Helper()
	res := s.lambda(args...)
	if res.code != 0 {
		s.t.Fatalf("lambda %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res
}

// get sends a request to the server with the given Host header.
func (s *server) request(method, host, path string, body []byte) (*http.Response, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url(path), bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s (Host %s): %v", method, path, host, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp, b.String()
}

func (s *server) host(name string) string { return fmt.Sprintf("%s.localhost:%d", name, s.port) }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// docker runs the docker CLI for assertions about what exists.
func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// cleanupFunction removes whatever a test left of function name, so a
// failing test does not leak containers or images into the next.
func cleanupFunction(t *testing.T, name string) {
	t.Cleanup(func() {
		ids := docker(t, "ps", "-aq", "--filter", "label=lambda.function="+name)
		if ids != "" {
			_ = exec.Command("docker", append([]string{"rm", "-f"}, strings.Fields(ids)...)...).Run()
		}
		imgs := docker(t, "images", "-q", "func-"+name)
		if imgs != "" {
			_ = exec.Command("docker", append([]string{"rmi", "-f"}, strings.Fields(imgs)...)...).Run()
		}
	})
}
