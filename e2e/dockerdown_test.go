package e2e

import (
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// socketProxy forwards a unix socket to the Docker socket and can be cut,
// standing in for a Docker engine that goes down and comes back.
type socketProxy struct {
	path  string
	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func (p *socketProxy) up(t *testing.T) {
	ln, err := net.Listen("unix", p.path)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("unix", "/var/run/docker.sock")
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, d)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(d, c); d.Close() }()
			go func() { _, _ = io.Copy(c, d); c.Close() }()
		}
	}()
}

func (p *socketProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestDockerDown starts the server while Docker is unreachable: it starts
// anyway, says why on /healthz, answers 503 naming the socket, and recovers
// by itself when Docker comes back.
func TestDockerDown(t *testing.T) {
	requireDocker(t)
	p := &socketProxy{path: filepath.Join(t.TempDir(), "docker.sock")}
	t.Cleanup(p.down)
	s := startServer(t, "DOCKER_HOST=unix://"+p.path)
	cleanupFunction(t, "phoenix")

	resp, body := s.request("GET", "", "/healthz", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, p.path) {
		t.Errorf("healthz with Docker down: %d %s", resp.StatusCode, body)
	}
	res := s.lambda("deploy", "testdata/fixture", "--name", "phoenix")
	if res.code == 0 || !strings.Contains(res.stderr, p.path) || !strings.Contains(res.stderr, "DOCKER_HOST") {
		t.Errorf("deploy with Docker down: exit %d %s", res.code, res.stderr)
	}

	p.up(t)
	waitFor(t, 15*time.Second, func() bool {
		resp, _ := s.request("GET", "", "/healthz", nil)
		return resp.StatusCode == 200
	})
	s.mustLambda("deploy", "testdata/fixture", "--name", "phoenix")
	if resp, _ := s.request("GET", s.host("phoenix"), "/", nil); resp.StatusCode != 200 {
		t.Errorf("invoke after recovery: %d", resp.StatusCode)
	}

	// A warm instance keeps serving while Docker is away; starting a new
	// one answers 503.
	p.down()
	if resp, _ := s.request("GET", s.host("phoenix"), "/", nil); resp.StatusCode != 200 {
		t.Errorf("warm instance with Docker down: %d", resp.StatusCode)
	}
	resp, body = s.request("GET", s.host("phoenix"), "/crash", nil)
	resp, body = s.request("GET", s.host("phoenix"), "/", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "DOCKER_HOST") {
		t.Errorf("cold start with Docker down: %d %s", resp.StatusCode, body)
	}
	p.up(t)
	waitFor(t, 15*time.Second, func() bool {
		resp, _ := s.request("GET", s.host("phoenix"), "/", nil)
		return resp.StatusCode == 200
	})
	s.mustLambda("delete", "phoenix")
}
