package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdahq/lambda/drivertest"
)

// composeCommand is the host's Compose CLI: the docker compose plugin, or
// docker-compose. Without either the test skips, and fails under CI.
func composeCommand(t *testing.T) []string {
	t.Helper()
	if exec.Command("docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}
	}
	if path, err := exec.LookPath("docker-compose"); err == nil {
		return []string{path}
	}
	drivertest.SkipOrFail(t, "neither \"docker compose\" nor docker-compose is installed (Debian: apt-get install docker-compose)")
	return nil
}

// composeProject is a Compose project of this test's own, in dir.
type composeProject struct {
	t    *testing.T
	cmd  []string
	dir  string
	name string
	env  []string
}

func (p *composeProject) exec(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	full := append(slices.Clone(p.cmd[1:]), "-p", p.name, "-f", filepath.Join(p.dir, "compose.yaml"))
	cmd := exec.CommandContext(ctx, p.cmd[0], append(full, args...)...)
	cmd.Dir, cmd.Env = p.dir, append(os.Environ(), p.env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (p *composeProject) run(args ...string) {
	p.t.Helper()
	if out, err := p.exec(args...); err != nil {
		p.t.Fatalf("compose %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newComposeProject copies examples/compose, builds its binaries, and
// names its functions and project after this run; compose down removes
// its containers and images when the test ends.
func newComposeProject(t *testing.T) (p *composeProject, adder, whoami string) {
	t.Helper()
	requireDocker(t)
	compose := composeCommand(t)
	dir := t.TempDir()
	if out, err := exec.Command("sh", "../examples/compose/build.sh", dir).CombinedOutput(); err != nil {
		t.Fatalf("build the example's binaries: %v\n%s", err, out)
	}
	for _, f := range []string{"compose.yaml", "adder.Dockerfile", "whoami.Dockerfile", ".dockerignore"} {
		b, err := os.ReadFile(filepath.Join("../examples/compose", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	adder, whoami = fnName(t, "cadder"), fnName(t, "cwhoami")
	p = &composeProject{t: t, cmd: compose, dir: dir, name: "lambdae2e" + runID,
		env: []string{"ADDER_NAME=" + adder, "WHOAMI_NAME=" + whoami}}
	t.Cleanup(func() {
		if out, err := p.exec("down", "--rmi", "local", "--volumes", "--remove-orphans", "--timeout", "2"); err != nil {
			t.Errorf("compose down: %v\n%s", err, out)
		}
	})
	return p, adder, whoami
}

// composeIDs are the short IDs — the hostnames — of service's running
// containers in project.
func composeIDs(t *testing.T, project, service string) []string {
	t.Helper()
	ids := strings.Fields(docker(t, "ps", "-q", "--filter", "label=com.docker.compose.project="+project, "--filter", "label=com.docker.compose.service="+service))
	slices.Sort(ids)
	return ids
}

// functionDetail reads GET /v1/functions/NAME: its status and replicas.
type functionDetail struct {
	Status string `json:"status"`
	Active *struct {
		Config struct {
			Runtime string `json:"runtime"`
		} `json:"config"`
	} `json:"active"`
	Instances []struct {
		ID   string `json:"id"`
		Addr string `json:"addr"`
	} `json:"instances"`
}

func (s *server) detail(name string) (functionDetail, int) {
	var d functionDetail
	resp, err := http.Get(s.url("/v1/functions/" + name))
	if err != nil {
		return d, 0
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&d)
	return d, resp.StatusCode
}

func (s *server) replicas(name string) int {
	d, code := s.detail(name)
	if code != http.StatusOK {
		return -1
	}
	return len(d.Instances)
}

// TestComposeReplicas: the gateway finds a Compose project's labelled
// containers at its start, balances a service scaled to 3 (each replica
// answers), keeps serving without a failed request once a scale-down to
// 1 settles, lists it as external, refuses to delete it, answers 503 when
// none runs, and ignores a container whose port label is not a number,
// saying so in its log.
func TestComposeReplicas(t *testing.T) {
	p, adder, whoami := newComposeProject(t)
	p.run("up", "-d", "--build", "--scale", "whoami=3")

	// Found at start: the server starts after the containers.
	s := startServer(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log (last 150 lines):\n%s", lastLines(s.logs.String(), 150))
		}
	})
	waitFor(t, time.Minute, func() bool { return s.replicas(whoami) == 3 && s.replicas(adder) == 1 })

	resp, body := s.request("GET", s.host(adder), "/?a=1.5&b=2", nil)
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(body) != "3.5" {
		t.Fatalf("adder: %d %q, want 200 3.5", resp.StatusCode, body)
	}

	// A direct invocation takes the same path: the payload is the event.
	if out := s.mustLambda("invoke", adder, "--data", `{"a":1,"b":2}`).stdout; strings.TrimSpace(out) != "3" {
		t.Errorf("lambda invoke %s: %q, want 3", adder, out)
	}

	// Every replica answers, through NAME.localhost.
	want := composeIDs(t, p.name, "whoami")
	if len(want) != 3 {
		t.Fatalf("compose runs %d whoami containers, want 3", len(want))
	}
	seen := map[string]int{}
	for range 30 {
		resp, body := s.request("GET", s.host(whoami), "/", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("whoami: %d %s", resp.StatusCode, body)
		}
		seen[strings.TrimSpace(body)]++
	}
	for _, id := range want {
		if seen[id] == 0 {
			t.Errorf("replica %s got none of 30 requests: %v", id, seen)
		}
	}
	if len(seen) != 3 {
		t.Errorf("answers came from %v, want the 3 replicas %v", seen, want)
	}
	// And by path.
	if resp, body := s.request("GET", "", "/fn/"+whoami+"/", nil); resp.StatusCode != http.StatusOK || !slices.Contains(want, strings.TrimSpace(body)) {
		t.Errorf("/fn/%s/: %d %q", whoami, resp.StatusCode, body)
	}

	// Listed and described as external.
	list := s.mustLambda("list").stdout
	if !slices.ContainsFunc(strings.Split(list, "\n"), func(l string) bool {
		f := strings.Fields(l)
		return len(f) >= 3 && f[0] == whoami && f[2] == "external"
	}) {
		t.Errorf("lambda list does not show %s as external:\n%s", whoami, list)
	}
	if d, _ := s.detail(whoami); d.Active == nil || d.Active.Config.Runtime != "external" || d.Status != "ready" {
		t.Errorf("describe %s: %+v, want runtime external, ready", whoami, d)
	}
	if out := s.mustLambda("describe", whoami).stdout; !regexp.MustCompile(`(?m)^Runtime:\s+external$`).MatchString(out) || strings.Count(out, ":8080") != 3 {
		t.Errorf("lambda describe %s: want runtime external and its 3 replicas:\n%s", whoami, out)
	}
	// Its output is its logs (whoami prints one line per request), with
	// the platform's lines around each invocation.
	waitFor(t, 30*time.Second, func() bool {
		logs := s.mustLambda("logs", whoami).stdout
		return strings.Contains(logs, "GET /") && strings.Contains(logs, "REPORT RequestId: ")
	})
	// Its invocations are recorded (in memory: it has no row in the store).
	waitFor(t, 30*time.Second, func() bool {
		return strings.Count(s.mustLambda("invocations", whoami, "--limit", "100").stdout, "succeeded") >= 31
	})

	// Delete refuses, and says to use Compose.
	res := s.lambda("delete", whoami)
	if res.code == 0 || !strings.Contains(res.stderr, "stop them with Compose") {
		t.Errorf("lambda delete %s: exit %d, stderr %q; want a refusal that says to stop them with Compose", whoami, res.code, res.stderr)
	}
	if s.replicas(whoami) != 3 {
		t.Error("the refused delete changed the replicas")
	}

	badPortLabel(t, s, want[0])
	scaleDownWithoutFailures(t, s, p, whoami)

	// None left: a clear 503.
	p.run("up", "-d", "--scale", "whoami=0")
	waitFor(t, time.Minute, func() bool { return s.replicas(whoami) == 0 })
	resp, body = s.request("GET", s.host(whoami), "/", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("X-Lambda-Error") != "unavailable" || !strings.Contains(body, "none of them runs") {
		t.Errorf("no replica: %d %s %q, want 503 unavailable saying none runs", resp.StatusCode, resp.Header.Get("X-Lambda-Error"), body)
	}
}

// badPortLabel runs a container of the example's whoami image with a
// non-numeric port label: the server logs why it ignores it and does not
// serve the name.
func badPortLabel(t *testing.T, s *server, like string) {
	t.Helper()
	image := docker(t, "inspect", "--format", "{{.Image}}", like)
	name, container := fnName(t, "cbadport"), "lambdae2e-badport-"+runID
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", container).Run() })
	docker(t, "run", "-d", "--name", container, "--label", "lambda.expose="+name, "--label", "lambda.port=http", image)
	waitFor(t, time.Minute, func() bool {
		log := s.logs.String()
		return strings.Contains(log, `label lambda.port=\"http\" is not a port number`) && strings.Contains(log, container)
	})
	if resp, body := s.request("GET", s.host(name), "/", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a container with a bad port label is served: %d %q", resp.StatusCode, body)
	}
	if list := s.mustLambda("list").stdout; strings.Contains(list, name) {
		t.Errorf("lambda list shows the badly labelled %s:\n%s", name, list)
	}
}

// scaleDownWithoutFailures scales whoami from 3 to 1 while four clients
// keep sending requests: once the server has one replica left (the stop
// events are in), no request fails.
func scaleDownWithoutFailures(t *testing.T, s *server, p *composeProject, whoami string) {
	t.Helper()
	var (
		settled             atomic.Bool
		mu                  sync.Mutex
		during, after       []string
		sentAfter, okDuring atomic.Int64
		wg                  sync.WaitGroup
	)
	stop := make(chan struct{})
	client := &http.Client{Timeout: time.Minute}
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				after0 := settled.Load()
				req, _ := http.NewRequest("GET", s.url("/"), nil)
				req.Host = s.host(whoami)
				resp, err := client.Do(req)
				failure := ""
				if err != nil {
					failure = err.Error()
				} else {
					if resp.StatusCode != http.StatusOK {
						failure = fmt.Sprintf("status %d %s", resp.StatusCode, resp.Header.Get("X-Lambda-Error"))
					}
					resp.Body.Close()
				}
				mu.Lock()
				switch {
				case after0 && failure != "":
					after = append(after, failure)
				case failure != "":
					during = append(during, failure)
				case !after0:
					okDuring.Add(1)
				}
				mu.Unlock()
				if after0 {
					sentAfter.Add(1)
				}
			}
		})
	}
	halt := sync.OnceFunc(func() {
		close(stop)
		wg.Wait()
	})
	defer halt()
	waitFor(t, time.Minute, func() bool { return okDuring.Load() >= 20 }) // load is flowing
	p.run("up", "-d", "--scale", "whoami=1")
	left := composeIDs(t, p.name, "whoami")
	waitFor(t, time.Minute, func() bool { return s.replicas(whoami) == 1 })
	settled.Store(true)
	waitFor(t, 2*time.Minute, func() bool { return sentAfter.Load() >= 200 })
	halt()

	mu.Lock()
	defer mu.Unlock()
	t.Logf("scale-down 3 → 1: %d failed requests while it settled %v, %d requests after it", len(during), during, sentAfter.Load())
	if len(after) > 0 {
		t.Errorf("%d of %d requests failed after the scale-down settled: %v", len(after), sentAfter.Load(), after)
	}
	if len(left) != 1 {
		t.Fatalf("compose left %v", left)
	}
	if d, _ := s.detail(whoami); len(d.Instances) != 1 || !strings.HasPrefix(d.Instances[0].ID, left[0]) {
		t.Errorf("the server's replica %+v is not the one compose left (%s)", d.Instances, left[0])
	}
}
