package docker

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/client"
)

// socketProxy forwards a unix socket to the real daemon and can be turned
// off and on, standing for a Docker engine that stops and comes back.
type socketProxy struct {
	path, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
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
			up, err := net.Dial("unix", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *socketProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close() // also removes the socket file
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func TestRecoversWhenDockerComesBack(t *testing.T) {
	real := newTestDriver(t) // skips without Docker
	target, ok := strings.CutPrefix(real.Host(), "unix://")
	if !ok {
		t.Skipf("Docker is at %s, not on a unix socket", real.Host())
	}
	ping, err := real.cli.Ping(t.Context(), client.PingOptions{})
	if err != nil {
		t.Fatal(err)
	}

	p := &socketProxy{path: filepath.Join(t.TempDir(), "docker.sock"), target: target}
	t.Cleanup(p.down)
	t.Setenv("DOCKER_HOST", "unix://"+p.path)
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	// Down from the start: negotiation fails along with everything else.
	if err := d.Ping(t.Context()); lambda.ErrorCode(err) != lambda.EUNAVAILABLE || !strings.Contains(err.Error(), p.path) {
		t.Fatalf("Ping while down: %v, want EUNAVAILABLE naming %s", err, p.path)
	}
	if _, err := d.ListInstances(t.Context()); lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
		t.Fatalf("ListInstances while down: %v", err)
	}
	exits, err := d.WatchExits(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	p.up(t)
	if _, err := d.ListInstances(t.Context()); err != nil {
		t.Fatalf("ListInstances once Docker is back: %v", err)
	}
	if got := d.cli.ClientVersion(); ping.APIVersion < client.MaxAPIVersion && got != ping.APIVersion {
		t.Errorf("API version %s after recovery, want the daemon's %s", got, ping.APIVersion)
	}

	img := testImage(t, d)
	inst := startTest(t, d, lambda.InstanceSpec{Function: "recover", Version: 1, Image: img, Port: 8080})
	httpDo(t, "GET", inst.Addr, "/env/PORT")
	time.Sleep(2 * maxBackoff / 5) // let the watcher reconnect

	// Down again mid-life; the instance exits meanwhile (the server talks
	// to it directly, not through Docker).
	p.down()
	if err := d.Ping(t.Context()); lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
		t.Fatalf("Ping while down again: %v", err)
	}
	httpDo(t, "GET", inst.Addr, "/exit")
	time.Sleep(500 * time.Millisecond)
	_ = os.Remove(p.path)
	p.up(t)
	if err := d.Ping(t.Context()); err != nil {
		t.Fatalf("Ping once back again: %v", err)
	}

	// The watcher reconnected by itself and caught up on what it missed.
	deadline := time.After(20 * time.Second)
	for {
		select {
		case id := <-exits:
			if id == inst.ID {
				return
			}
		case <-deadline:
			t.Fatal("WatchExits did not report the exit that happened while Docker was unreachable")
		}
	}
}
