// Package e2e drives the real lambda binary against real Docker: it builds
// the binary once, starts servers on free ports with temporary data
// directories and runs CLI commands as a user would.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda/drivertest"
	"github.com/lambdahq/lambda/internal/swarmtest"
)

var binary string // path of the lambda binary under test

// runID makes this run's function names unique (fnName), so two runs
// sharing one Docker engine never touch each other's functions.
var runID string

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, err
	}
	runID = hex.EncodeToString(b[:])
	// LAMBDA_E2E_BINARY runs the suite against a binary built elsewhere
	// (a release, or a snapshot of the tree).
	if binary = os.Getenv("LAMBDA_E2E_BINARY"); binary == "" {
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
	}
	// Direct API calls of the tests carry their server's admin key, as the
	// CLI runs do (LAMBDA_API_KEY): see keyTransport.
	http.DefaultTransport = &keyTransport{base: http.DefaultTransport}
	code := m.Run()
	removeImages()
	// The test Swarm cluster, if a test started it (swarm_test.go); the
	// last test binary using it takes it down.
	if err := swarmtest.Release(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: swarm cluster:", err)
		if code == 0 {
			code = 1
		}
	}
	if err := stopShared(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: shared server:", err)
		if code == 0 {
			code = 1
		}
	}
	return code, nil
}

// fnName is base made unique to this run: tests name every function
// through it.
func fnName(t *testing.T, base string) string {
	t.Helper()
	name := base + "-" + runID
	if len(name) > 63 {
		t.Fatalf("function name %q is too long", name)
	}
	return name
}

// requireDocker skips the test without a Docker engine, except in CI where
// a missing engine is a failure.
func requireDocker(t *testing.T) {
	t.Helper()
	out, err := exec.Command("docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
	if err == nil {
		return
	}
	drivertest.SkipOrFail(t, "Docker is not available: %v\n%s", err, out)
}

// server is a running `lambda server` process, seen from one test: t is
// the test the helpers report to. Servers from startServer belong to one
// test; the shared one (sharedServer) is one process that many tests see
// through copies of this struct.
type server struct {
	t       *testing.T
	port    int
	dataDir string
	env     []string
	*process
	shared bool
	// listenAll makes the server listen on every address, not only
	// 127.0.0.1, so that function containers can reach it (auth tests).
	listenAll bool
	// apiKey is the admin key the server wrote to DATA/admin.key at its
	// first start; every CLI run and API call of the tests carries it.
	apiKey string
	// started: the server has listened on port once (launch then keeps it).
	started bool
}

// process is the server process itself.
type process struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
}

func freePort(t *testing.T) int {
	t.Helper()
	port, err := pickPort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// pickPort returns a loopback port free at the time of the call.
func pickPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts a server of the test's own with a fresh data
// directory; extra env vars (e.g. DOCKER_HOST, LAMBDA_QUEUE_SIZE) are added
// to its environment. Use it for tests that restart the server, change its
// flags or break Docker; the others use sharedServer.
func startServer(t *testing.T, env ...string) *server {
	t.Helper()
	s := &server{t: t, port: freePort(t), dataDir: t.TempDir(), env: env}
	if err := s.launch(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.stop()
		removeNamespace(s.namespace())
	})
	return s
}

var shared struct {
	once sync.Once
	s    *server
	dir  string
	err  error
}

// sharedServer returns the package's shared server, started on first use
// and stopped by TestMain. Tests on it must name their functions with
// fnName and must not restart it.
func sharedServer(t *testing.T) *server {
	t.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "lambda-e2e-shared-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		shared.s = &server{port: freePort(t), dataDir: dir, shared: true}
		shared.err = shared.s.launch()
	})
	if shared.err != nil {
		t.Fatalf("shared server: %v", shared.err)
	}
	c := *shared.s
	c.t = t
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("shared server log (last 100 lines):\n%s", lastLines(c.logs.String(), 100))
		}
	})
	return &c
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// stopShared stops the shared server and removes what it left: its
// containers (its functions' images are deleted by the tests) and its data.
func stopShared() error {
	if shared.s == nil {
		return nil
	}
	ns := shared.s.namespace()
	err := shared.s.shutdown()
	if err != nil {
		err = fmt.Errorf("%w\n%s", err, shared.s.logs.String())
	}
	removeNamespace(ns)
	_ = os.RemoveAll(shared.dir)
	return err
}

// launch starts the process and waits for /healthz to answer. A port
// freePort chose can be taken by another test process before the server
// listens, so a server that exits because its port is in use gets a
// fresh one — at its first start only: a restarted server keeps the port
// its clients know.
func (s *server) launch() error {
	for attempt := 0; ; attempt++ {
		err := s.launchOnce()
		if err == nil || s.started || attempt == 2 || !strings.Contains(err.Error(), "address already in use") {
			s.started = s.started || err == nil
			return err
		}
		if s.port, err = pickPort(); err != nil {
			return err
		}
	}
}

func (s *server) launchOnce() error {
	p := &process{logs: &syncBuffer{}, done: make(chan error, 1)}
	addr := fmt.Sprintf("127.0.0.1:%d", s.port)
	if s.listenAll {
		addr = fmt.Sprintf(":%d", s.port)
	}
	p.cmd = exec.Command(binary, "server", "--addr", addr, "--data", s.dataDir, "--domain", "localhost", "--log-level", "debug")
	p.cmd.Env = append(os.Environ(), s.env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		return err
	}
	s.process = p
	go func() { p.done <- p.cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.url("/healthz"))
		if err == nil {
			resp.Body.Close()
			return s.readAdminKey()
		}
		select {
		case err := <-p.done:
			return fmt.Errorf("server exited at start: %v\n%s", err, p.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("server did not start within 20s:\n%s", p.logs.String())
}

func (s *server) start() {
	s.t.Helper()
	if err := s.launch(); err != nil {
		s.t.Fatal(err)
	}
}

// shutdown sends SIGTERM and waits for a graceful exit.
func (s *server) shutdown() error {
	if s.process == nil || s.cmd.ProcessState != nil {
		return nil
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-s.done:
		if err != nil {
			return fmt.Errorf("server exited with %v", err)
		}
		return nil
	case <-time.After(40 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("server did not shut down within 40s")
	}
}

// stop stops a test's own server, failing the test if it does not exit
// cleanly.
func (s *server) stop() {
	if s.shared {
		s.t.Fatal("the shared server cannot be stopped by a test: use startServer")
	}
	if err := s.shutdown(); err != nil {
		s.t.Errorf("%v:\n%s", err, s.logs.String())
	}
	if s.t.Failed() && s.process != nil {
		s.t.Logf("server log:\n%s", s.logs.String())
	}
}

// kill ends the server with SIGKILL, as a crash would.
func (s *server) kill() {
	if s.shared {
		s.t.Fatal("the shared server cannot be killed by a test: use startServer")
	}
	if s.process == nil || s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

func (s *server) restart() {
	s.t.Helper()
	s.stop()
	s.start()
}

// namespace is the server's Docker namespace (the lambda.server label of
// its containers), written by the server in its data directory.
func (s *server) namespace() string {
	b, err := os.ReadFile(filepath.Join(s.dataDir, "server-id"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// removeNamespace removes the containers of one server namespace; it never
// touches another server's.
func removeNamespace(ns string) {
	if ns == "" {
		return
	}
	out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=lambda.server="+ns).Output()
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		_ = exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
	}
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
	cmd.Env = s.cliEnv()
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
// failing test does not leak containers or images into the next. Names
// come from fnName, so this never touches another run's function.
func cleanupFunction(t *testing.T, name string) {
	t.Cleanup(func() {
		// Network holders (docker/holder.go) carry lambda.holder.function.
		ids := docker(t, "ps", "-aq", "--filter", "label=lambda.function="+name) + " " + docker(t, "ps", "-aq", "--filter", "label=lambda.holder.function="+name)
		if ids = strings.TrimSpace(ids); ids != "" {
			_ = exec.Command("docker", append([]string{"rm", "-f"}, strings.Fields(ids)...)...).Run()
		}
		// By label too: the image before the code's layer is untagged.
		imgs := docker(t, "images", "-q", "func-"+name) + " " + docker(t, "images", "-q", "--filter", "label=lambda.function="+name)
		if imgs = strings.TrimSpace(imgs); imgs != "" {
			_ = exec.Command("docker", append([]string{"rmi", "-f"}, strings.Fields(imgs)...)...).Run()
		}
	})
}

// fn names a function of this run (fnName) and removes what the test
// leaves of it.
func (s *server) fn(base string) string {
	s.t.Helper()
	name := fnName(s.t, base)
	cleanupFunction(s.t, name)
	return name
}

// containers lists the IDs of function's containers of this server only
// (running ones unless all). The one a function keeps created ahead of
// its next cold start is no instance, and is left out (precreated).
func (s *server) containers(function string, all bool) []string {
	s.t.Helper()
	args := []string{"ps", "-q", "--filter", "label=lambda.server=" + s.namespace(), "--filter", "label=lambda.function=" + function}
	if all {
		args = append(args, "-a")
	}
	ids := strings.Fields(docker(s.t, args...))
	if !all {
		return ids
	}
	spare := s.precreated(function)
	return slices.DeleteFunc(ids, func(id string) bool { return slices.Contains(spare, id) })
}

// precreated lists the IDs of function's containers of this server that
// were created ahead of a cold start and not started yet.
func (s *server) precreated(function string) []string {
	s.t.Helper()
	return strings.Fields(docker(s.t, "ps", "-aq", "--filter", "label=lambda.server="+s.namespace(), "--filter", "label=lambda.function="+function,
		"--filter", "label=lambda.precreated", "--filter", "status=created"))
}

// images are the test images built once per run from testdata (goImage).
var images struct {
	mu    sync.Mutex
	built map[string]*builtImage
}

type builtImage struct {
	once sync.Once
	tag  string
	err  error
}

// fixtureImage is the fixture built once per run as a FROM scratch image:
// tests that do not test the build deploy it with --image, which adds a
// one-line image instead of compiling the fixture again.
func fixtureImage(t *testing.T) string { return goImage(t, "fixture") }

// goImage builds the Go program in testdata/dir once per run into a FROM
// scratch image and returns its tag; TestMain removes it.
func goImage(t *testing.T, dir string) string {
	t.Helper()
	images.mu.Lock()
	if images.built == nil {
		images.built = map[string]*builtImage{}
	}
	b := images.built[dir]
	if b == nil {
		b = &builtImage{tag: "e2e-" + dir + ":" + runID}
		images.built[dir] = b
	}
	images.mu.Unlock()
	b.once.Do(func() { b.err = buildGoImage(filepath.Join("testdata", dir), b.tag) })
	if b.err != nil {
		t.Fatalf("build testdata/%s: %v", dir, b.err)
	}
	return b.tag
}

func buildGoImage(src, tag string) error {
	dir, err := os.MkdirTemp("", "lambda-e2e-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "server"), ".")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	df := "FROM scratch\nCOPY server /server\nEXPOSE 8080\nENTRYPOINT [\"/server\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		return err
	}
	if out, err := exec.Command("docker", "build", "-q", "-t", tag, dir).CombinedOutput(); err != nil {
		return fmt.Errorf("docker build: %v\n%s", err, out)
	}
	return nil
}

func removeImages() {
	images.mu.Lock()
	defer images.mu.Unlock()
	for _, b := range images.built {
		_ = exec.Command("docker", "rmi", "-f", b.tag).Run()
	}
}

// readAdminKey reads the admin key the server created at its first start
// and lets the test process's API calls to s carry it.
func (s *server) readAdminKey() error {
	b, err := os.ReadFile(filepath.Join(s.dataDir, "admin.key"))
	if err != nil {
		return fmt.Errorf("the server wrote no admin key: %w", err)
	}
	s.apiKey = strings.TrimSpace(string(b))
	serverKeys.Store(s.port, s.apiKey)
	return nil
}

// cliEnv is the environment of a CLI run against s: its admin key.
func (s *server) cliEnv() []string {
	return append(os.Environ(), "LAMBDA_API_KEY="+s.apiKey)
}

// serverKeys maps the port of each server the tests started to its admin
// key.
var serverKeys sync.Map

// keyTransport adds the admin key of the tests' server to control API
// requests (/v1/, the Invoke API) sent to it without an Authorization
// header of their own. Function requests (by host name or /fn/) go as they
// are, so what reaches a function is exactly what the test sent; tests of
// refusals send a header of their own or use another transport.
type keyTransport struct{ base http.RoundTripper }

func (t *keyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") != "" || (req.Host != "" && req.Host != req.URL.Host) ||
		!(strings.HasPrefix(req.URL.Path, "/v1/") || strings.HasPrefix(req.URL.Path, "/2015-03-31/")) {
		return t.base.RoundTrip(req)
	}
	_, portStr, err := net.SplitHostPort(req.URL.Host)
	port, _ := strconv.Atoi(portStr)
	key, ok := serverKeys.Load(port)
	if err != nil || !ok {
		return t.base.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+key.(string))
	return t.base.RoundTrip(req)
}
