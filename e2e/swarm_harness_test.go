package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda/internal/swarmtest"
)

// swarmServer is a `lambda server --backend swarm` against the test cluster
// (internal/swarmtest). It runs in the cluster's client namespace, the only
// place the task addresses answer; so do the CLI runs against it, and the
// test's own requests go through the namespace's dialer.
type swarmServer struct {
	t       *testing.T
	c       *swarmtest.Cluster
	port    int
	dataDir string
	args    []string // extra server flags
	env     []string
	apiKey  string
	client  *http.Client
	*process
}

// startSwarmServer starts a server of the test's own on the cluster, with
// the cluster's registry and overlay network; extra flags are added.
func startSwarmServer(t *testing.T, c *swarmtest.Cluster, args ...string) *swarmServer {
	t.Helper()
	s := &swarmServer{
		t: t, c: c, dataDir: t.TempDir(), args: args,
		// Nothing else listens in the namespace but other tests' servers.
		port:   20000 + rand.IntN(20000),
		client: c.HTTPClient(2 * time.Minute),
		env:    []string{"DOCKER_HOST=" + c.Manager},
	}
	if err := s.launch(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.shutdown(); err != nil {
			t.Errorf("%v", err)
		}
		if t.Failed() {
			t.Logf("swarm server log (last 150 lines):\n%s", lastLines(s.logs.String(), 150))
		}
	})
	return s
}

func (s *swarmServer) serverArgs() []string {
	return append([]string{"server", "--addr", fmt.Sprintf("127.0.0.1:%d", s.port), "--data", s.dataDir,
		"--domain", "localhost", "--log-level", "debug",
		"--backend", "swarm", "--registry", s.c.Registry, "--swarm-network", s.c.Network}, s.args...)
}

func (s *swarmServer) launch() error {
	p := &process{logs: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = s.c.Command(context.Background(), binary, s.serverArgs()...)
	p.cmd.Env = append(os.Environ(), s.env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		return err
	}
	s.process = p
	go func() { p.done <- p.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := s.client.Get(s.url("/healthz"))
		if err == nil {
			resp.Body.Close()
			b, err := os.ReadFile(filepath.Join(s.dataDir, "admin.key"))
			if err != nil {
				return fmt.Errorf("the server wrote no admin key: %w", err)
			}
			s.apiKey = strings.TrimSpace(string(b))
			return nil
		}
		select {
		case err := <-p.done:
			return fmt.Errorf("swarm server exited at start: %v\n%s", err, p.logs.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("swarm server did not start within 60s:\n%s", p.logs.String())
}

// shutdown interrupts the server (ip netns exec passes the signal on by
// exec'ing it) and waits for a graceful exit.
func (s *swarmServer) shutdown() error {
	if s.process == nil || s.cmd.ProcessState != nil {
		return nil
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-s.done:
		if err != nil {
			return fmt.Errorf("swarm server exited with %v", err)
		}
		return nil
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("swarm server did not shut down within 60s")
	}
}

func (s *swarmServer) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", s.port, path)
}

func (s *swarmServer) host(name string) string { return fmt.Sprintf("%s.localhost:%d", name, s.port) }

// lambda runs the CLI against s, in the namespace.
func (s *swarmServer) lambda(args ...string) result {
	s.t.Helper()
	// A first Python deploy on a fresh manager assembles the runtime's
	// base image from Debian packages: minutes on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := s.c.Command(ctx, binary, append([]string{"--server", s.url("")}, args...)...)
	cmd.Env = append(os.Environ(), "LAMBDA_API_KEY="+s.apiKey)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(interface{ ExitCode() int }); ok && err != nil {
		res.code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("lambda %v: %v", args, err)
	}
	return res
}

func (s *swarmServer) mustLambda(args ...string) result {
	s.t.Helper()
	res := s.lambda(args...)
	if res.code != 0 {
		s.t.Fatalf("lambda %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res
}

// preloadBaseImages copies the runtimes' base images the host's engine
// holds (prepareRuntimes made them) to the manager, which builds the
// functions: its first Python deploy need not assemble them again.
func preloadBaseImages(t *testing.T, c *swarmtest.Cluster) {
	t.Helper()
	out, err := exec.Command("docker", "images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=lambda-base/*").Output()
	if err != nil {
		t.Fatalf("docker images: %v", err)
	}
	for _, ref := range strings.Fields(string(out)) {
		save := exec.Command("docker", "save", ref)
		load := exec.Command("docker", "-H", c.Manager, "load", "-q")
		pipe, err := save.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		load.Stdin = pipe
		if err := save.Start(); err != nil {
			t.Fatal(err)
		}
		if out, err := load.CombinedOutput(); err != nil {
			t.Fatalf("load %s on the manager: %v\n%s", ref, err, out)
		}
		if err := save.Wait(); err != nil {
			t.Fatalf("docker save %s: %v", ref, err)
		}
	}
}

// whoami is what testdata/swarm-whoami answers.
type whoami struct {
	Host    string `json:"host"`
	Version string `json:"version"`
}

// call sends a request to function name by host name; it returns the
// status and, on 200, who answered.
func (s *swarmServer) call(name, query string) (int, whoami, error) {
	req, err := http.NewRequest("GET", s.url("/"+query), nil)
	if err != nil {
		return 0, whoami{}, err
	}
	req.Host = s.host(name)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, whoami{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var w whoami
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(body, &w); err != nil {
			return resp.StatusCode, w, fmt.Errorf("answer %q: %w", body, err)
		}
	} else {
		err = fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	return resp.StatusCode, w, err
}

// swarmTask is a running task of one of a function's services.
type swarmTask struct {
	Service, Node, Container string
}

// tasks lists the running tasks of function's services, from the
// manager's task list.
func (s *swarmServer) tasks(function string) []swarmTask {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svcs, err := s.c.Docker(ctx, 1, "service", "ls", "-q", "--filter", "label=lambda.function="+function)
	if err != nil {
		s.t.Fatal(err)
	}
	var tasks []swarmTask
	for _, svc := range strings.Fields(svcs) {
		out, err := s.c.Docker(ctx, 1, "service", "ps", "--filter", "desired-state=running", "--format",
			"{{.ID}} {{.Node}} {{.CurrentState}}", svc)
		if err != nil {
			continue // removed meanwhile
		}
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) < 3 || f[2] != "Running" {
				continue
			}
			cid, _ := s.c.Docker(ctx, 1, "inspect", "-f", "{{.Status.ContainerStatus.ContainerID}}", f[0])
			tasks = append(tasks, swarmTask{Service: svc, Node: f[1], Container: cid})
		}
	}
	return tasks
}

// services lists function's services, running or not.
func (s *swarmServer) services(function string) []string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := s.c.Docker(ctx, 1, "service", "ls", "-q", "--filter", "label=lambda.function="+function)
	if err != nil {
		s.t.Fatal(err)
	}
	return strings.Fields(out)
}

// capacity is the instance capacity /healthz reports (-1 when it reports
// none).
func (s *swarmServer) capacity() int {
	s.t.Helper()
	resp, err := s.client.Get(s.url("/healthz"))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Capacity *int `json:"capacity"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		s.t.Fatalf("healthz: %v", err)
	}
	if h.Capacity == nil {
		return -1
	}
	return *h.Capacity
}

// registryTags lists the tags of function's repository in the cluster's
// registry (none once the repository is gone or empty).
func (s *swarmServer) registryTags(function string) []string {
	s.t.Helper()
	resp, err := s.client.Get("http://" + s.c.Registry + "/v2/func-" + function + "/tags/list")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	var list struct {
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		s.t.Fatalf("the registry's tags of %s: %s %v", function, resp.Status, err)
	}
	return list.Tags
}

// leftOnNodes lists the containers of function on any node, stopped ones
// too; filters (docker ps --filter) narrow it, e.g. to one version.
func (s *swarmServer) leftOnNodes(function string, filters ...string) []string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var left []string
	for n := range s.c.Hosts {
		args := []string{"ps", "-aq", "--filter", "label=lambda.function=" + function}
		for _, f := range filters {
			args = append(args, "--filter", f)
		}
		out, err := s.c.Docker(ctx, n+1, args...)
		if err != nil {
			s.t.Fatal(err)
		}
		for _, id := range strings.Fields(out) {
			left = append(left, fmt.Sprintf("%s on node %d", id, n+1))
		}
	}
	return left
}

// imagesOnNodes lists the images of function (by their label, which the
// copies a node pulled keep) on any node.
func (s *swarmServer) imagesOnNodes(function string) []string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var left []string
	for n := range s.c.Hosts {
		out, err := s.c.Docker(ctx, n+1, "images", "--digests", "--filter", "label=lambda.function="+function,
			"--format", "{{.Repository}}:{{.Tag}}@{{.Digest}}")
		if err != nil {
			s.t.Fatal(err)
		}
		for _, img := range strings.Fields(out) {
			left = append(left, fmt.Sprintf("%s on node %d", img, n+1))
		}
	}
	return left
}

// until polls cond every 300 ms until it is true or d has passed.
func until(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
