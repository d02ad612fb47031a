package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda/drivertest"
)

// TestDockerDown starts the server while Docker is unreachable: it starts
// anyway, says why on /healthz, answers 503 naming the socket, and recovers
// by itself when Docker comes back.
func TestDockerDown(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	// The proxy stands in for the engine the environment names, so the
	// test runs wherever the rest of the suite does (DOCKER_HOST=tcp://...).
	network, target := drivertest.DockerTarget(t, os.Getenv("DOCKER_HOST"))
	p := &drivertest.SocketProxy{Path: filepath.Join(t.TempDir(), "docker.sock"), Target: target, TargetNetwork: network}
	t.Cleanup(p.Down)
	s := startServer(t, "DOCKER_HOST=unix://"+p.Path)
	phoenix := s.fn("phoenix")

	resp, body := s.request("GET", "", "/healthz", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, p.Path) {
		t.Errorf("healthz with Docker down: %d %s", resp.StatusCode, body)
	}
	res := s.lambda("deploy", "testdata/fixture", "--name", phoenix)
	if res.code == 0 || !strings.Contains(res.stderr, p.Path) || !strings.Contains(res.stderr, "DOCKER_HOST") {
		t.Errorf("deploy with Docker down: exit %d %s", res.code, res.stderr)
	}

	p.Up(t)
	waitFor(t, 15*time.Second, func() bool {
		resp, _ := s.request("GET", "", "/healthz", nil)
		return resp.StatusCode == 200
	})
	s.mustLambda("deploy", "testdata/fixture", "--name", phoenix)
	if resp, _ := s.request("GET", s.host(phoenix), "/", nil); resp.StatusCode != 200 {
		t.Errorf("invoke after recovery: %d", resp.StatusCode)
	}

	// A warm instance keeps serving while Docker is away; starting a new
	// one answers 503.
	p.Down()
	if resp, _ := s.request("GET", s.host(phoenix), "/", nil); resp.StatusCode != 200 {
		t.Errorf("warm instance with Docker down: %d", resp.StatusCode)
	}
	resp, body = s.request("GET", s.host(phoenix), "/crash", nil)
	resp, body = s.request("GET", s.host(phoenix), "/", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "DOCKER_HOST") {
		t.Errorf("cold start with Docker down: %d %s", resp.StatusCode, body)
	}
	p.Up(t)
	waitFor(t, 15*time.Second, func() bool {
		resp, _ := s.request("GET", s.host(phoenix), "/", nil)
		return resp.StatusCode == 200
	})
	s.mustLambda("delete", phoenix)
}
