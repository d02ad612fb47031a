package shim

import (
	"net"
	"testing"
)

// TestHeldPortIsNobodyElses: between a test picking a shim's port and
// the shim listening on it, no other process's server can take the port
// (with freePort's listen-and-close, one did, and a shim test got that
// server's "404 page not found"), and a dial is refused as on a port
// nobody listens on; the shim's listen then gets it.
func TestHeldPortIsNobodyElses(t *testing.T) {
	addr := heldPorts.hold(t)
	if ln, err := net.Listen("tcp", addr); err == nil {
		ln.Close()
		t.Fatalf("another listener took the held port %s", addr)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatalf("a dial to the held port %s connected before the shim listened", addr)
	}
	ln, err := heldPorts.listen(addr)
	if err != nil {
		t.Fatalf("the shim's listen on its held port: %v", err)
	}
	defer ln.Close()
	accepted := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial after the shim listened: %v", err)
	}
	c.Close()
	if err := <-accepted; err != nil {
		t.Fatal(err)
	}
}
