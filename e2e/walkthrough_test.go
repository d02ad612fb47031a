package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestWalkthrough is the README's walkthrough: deploy the greet example and
// reach it by subdomain, by path and through the CLI; list, describe,
// version listing, restart and delete.
func TestWalkthrough(t *testing.T) {
	requireDocker(t)
	s := startServer(t) // its own: it restarts the server
	greet := s.fn("greet")

	res := s.mustLambda("deploy", "../examples/greet", "--name", greet)
	for _, want := range []string{
		"Packaging function code... Done.",
		"[1/3] Unpacking function code... Done.",
		`[2/3] Building image "func-` + greet + `"...`,
		"[3/3] Starting container... Done.",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("deploy progress lacks %q:\n%s", want, res.stderr)
		}
	}
	url := s.host(greet)
	if got, want := strings.TrimSpace(res.stdout), "Your function is live at: http://"+url; got != want {
		t.Errorf("deploy said %q, want %q", got, want)
	}

	const hello = `{"message": "Hello, World!"}`
	resp, body := s.request("GET", url, "/?name=World", nil)
	if resp.StatusCode != 200 || strings.TrimSpace(body) != hello {
		t.Errorf("by subdomain: %d %q", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Lambda-Version") != "1" {
		t.Errorf("X-Lambda-Version = %q", resp.Header.Get("X-Lambda-Version"))
	}
	if _, body := s.request("GET", "", "/fn/"+greet+"?name=World", nil); strings.TrimSpace(body) != hello {
		t.Errorf("by path: %q", body)
	}
	if res := s.mustLambda("invoke", greet, "--data", `{"name": "World"}`); strings.TrimSpace(res.stdout) != hello {
		t.Errorf("by CLI: %q", res.stdout)
	}

	res = s.mustLambda("list")
	if !strings.Contains(res.stdout, "NAME") || !strings.Contains(res.stdout, greet) || !strings.Contains(res.stdout, "ready") {
		t.Errorf("list:\n%s", res.stdout)
	}
	var detail struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Active struct {
			Number int
			Config struct{ Runtime string }
		}
		Instances []struct {
			ID      string
			Running bool
		}
	}
	res = s.mustLambda("describe", greet, "-o", "json")
	if err := json.Unmarshal([]byte(res.stdout), &detail); err != nil {
		t.Fatalf("describe -o json: %v\n%s", err, res.stdout)
	}
	if detail.Active.Number != 1 || detail.Active.Config.Runtime != "go" || len(detail.Instances) != 1 || !detail.Instances[0].Running {
		t.Errorf("describe: %+v", detail)
	}
	if res := s.mustLambda("describe", greet); !strings.Contains(res.stdout, "func-"+greet+":v1") {
		t.Errorf("describe shows no image:\n%s", res.stdout)
	}
	if res := s.mustLambda("versions", greet); !strings.Contains(res.stdout, "func-"+greet+":v1") {
		t.Errorf("versions:\n%s", res.stdout)
	}

	// The hardening every instance gets.
	id := detail.Instances[0].ID
	inspect := docker(t, "inspect", "--format",
		"{{.Config.User}}|{{.HostConfig.CapDrop}}|{{.HostConfig.SecurityOpt}}|{{.HostConfig.ReadonlyRootfs}}|{{.HostConfig.Init}}|{{.HostConfig.Memory}}|{{.HostConfig.MemorySwap}}|{{.Config.Labels}}", id)
	for _, want := range []string{"1000:1000", "ALL", "no-new-privileges", "|true|true|268435456|268435456|", "lambda.managed:true", "lambda.function:" + greet, "lambda.version:1", "lambda.server:" + s.namespace()} {
		if !strings.Contains(inspect, want) {
			t.Errorf("container %s lacks %q: %s", id, want, inspect)
		}
	}

	// After a restart every function answers again without a redeploy.
	s.restart()
	if resp, body := s.request("GET", url, "/?name=World", nil); resp.StatusCode != 200 || strings.TrimSpace(body) != hello {
		t.Errorf("after restart: %d %q", resp.StatusCode, body)
	}

	s.mustLambda("delete", greet)
	if resp, _ := s.request("GET", url, "/", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleted function answered %d", resp.StatusCode)
	}
	if left := s.containers(greet, true); len(left) != 0 {
		t.Errorf("containers left after delete: %s", left)
	}
	if left := docker(t, "images", "-q", "func-"+greet); left != "" {
		t.Errorf("images left after delete: %s", left)
	}
}

// TestExamples deploys the remaining examples, including a Dockerfile one.
func TestExamples(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	calculator, echo, helloDocker := s.fn("calculator"), s.fn("echo"), s.fn("hello-docker")
	s.mustLambda("deploy", "../examples/calculator", "--name", calculator)
	if _, body := s.request("GET", s.host(calculator), "/?op=add&a=1&b=2", nil); !strings.Contains(body, `"result":3`) {
		t.Errorf("calculator: %s", body)
	}
	s.mustLambda("deploy", "../examples/echo", "--name", echo)
	_, body := s.request("PUT", s.host(echo), "/a/b?x=1", []byte("payload"))
	if e := decodeEcho(t, body); e.Method != "PUT" || e.Path != "/a/b" || e.Body != "payload" || e.Query["x"][0] != "1" {
		t.Errorf("echo: %s", body)
	}
	res := s.mustLambda("deploy", "../examples/hello-docker", "--name", helloDocker)
	if !strings.Contains(res.stderr, "Step") {
		t.Errorf("Dockerfile build output did not stream:\n%s", res.stderr)
	}
	if _, body := s.request("GET", s.host(helloDocker), "/", nil); !strings.Contains(body, "Hello from a Dockerfile") {
		t.Errorf("hello-docker: %s", body)
	}
	if res := s.mustLambda("describe", helloDocker, "-o", "json"); !strings.Contains(res.stdout, `"runtime": "dockerfile"`) {
		t.Errorf("hello-docker runtime: %s", res.stdout)
	}
	for _, name := range []string{echo, calculator, helloDocker} {
		s.mustLambda("delete", name)
	}
}
