package drivertest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// SocketProxy forwards a unix socket (Path) to the real Docker engine
// (Target, on TargetNetwork: see DockerTarget) and can be turned off and
// on: a Docker engine that stops and comes back, for recovery tests.
type SocketProxy struct {
	Path, Target string
	// TargetNetwork is "unix" (when empty) or "tcp".
	TargetNetwork string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

// Up starts forwarding.
func (p *SocketProxy) Up(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("unix", p.Path)
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
			network := p.TargetNetwork
			if network == "" {
				network = "unix"
			}
			up, err := net.Dial(network, p.Target)
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

// Down stops forwarding and breaks every open connection.
func (p *SocketProxy) Down() {
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
