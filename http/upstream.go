package http

import (
	"bufio"
	"context"
	"net"
	"sync"
	"time"
)

// upstreams keeps the Invoker's idle HTTP/1.1 connections to instances,
// per address, for both of its entry points: the gateway's forwarder
// (gateway_forward.go) and direct invocations (invoker_direct.go), which
// exchange over them with roundTrip (upstream_exchange.go). Unlike
// http.Transport it runs no goroutine per connection: the request's own
// goroutine writes the request and reads the answer, which saves the two
// goroutine hand-offs per request that were a good part of the gateway's
// CPU (docs/performance.md, "The gateway hop") and of a job's. The price
// is that an idle connection closed by the instance is only noticed when
// it is used again: the request then goes once more on a new connection
// (upstream_exchange.go, retryable).
type upstreams struct {
	dialer net.Dialer

	mu        sync.Mutex
	idle      map[string][]*upstreamConn // newest last
	lastSweep time.Time
}

// upstreamConn is one connection to an instance and its read buffer.
type upstreamConn struct {
	net.Conn
	br        *bufio.Reader
	addr      string
	idleSince time.Time
	reused    bool // served a request before: it may have been closed meanwhile
	// writing, when set, ends with the result of the write of a large
	// request body still running (upstream_exchange.go, exchange).
	writing chan error
}

const (
	// upstreamIdleTimeout is how long an idle connection is kept, as the
	// Transport's IdleConnTimeout was; the shim's idle timeout is longer,
	// so it is the platform that closes them.
	upstreamIdleTimeout = 90 * time.Second
	// upstreamMaxIdle bounds the idle connections kept per instance
	// address, as MaxIdleConnsPerHost did.
	upstreamMaxIdle = 512
	// upstreamReadBuffer is the read buffer of a connection: an answer's
	// headers fit in it, and a small body arrives with them.
	upstreamReadBuffer = 8 << 10
)

func newUpstreams() *upstreams {
	return &upstreams{
		dialer: net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second},
		idle:   make(map[string][]*upstreamConn),
	}
}

// get returns an idle connection to addr, or a new one when fresh is set
// or none is idle. A failed dial is a *net.OpError of Op "dial", which
// undelivered recognises.
func (u *upstreams) get(ctx context.Context, addr string, fresh bool) (*upstreamConn, error) {
	if !fresh {
		if c := u.takeIdle(addr); c != nil {
			return c, nil
		}
	}
	nc, err := u.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &upstreamConn{Conn: nc, br: bufio.NewReaderSize(nc, upstreamReadBuffer), addr: addr}, nil
}

// takeIdle pops the connection to addr used last, closing those idle too
// long on the way.
func (u *upstreams) takeIdle(addr string) *upstreamConn {
	now := time.Now()
	u.mu.Lock()
	conns := u.idle[addr]
	for len(conns) > 0 {
		c := conns[len(conns)-1]
		conns[len(conns)-1] = nil
		conns = conns[:len(conns)-1]
		if now.Sub(c.idleSince) < upstreamIdleTimeout {
			u.idle[addr] = conns
			u.mu.Unlock()
			c.reused = true
			return c
		}
		c.Close()
	}
	delete(u.idle, addr)
	u.mu.Unlock()
	return nil
}

// put keeps c for the next request to its address; once in a while it
// also closes every connection idle too long, so that those to instances
// that are gone do not stay open.
func (u *upstreams) put(c *upstreamConn) {
	now := time.Now()
	c.idleSince = now
	var stale []*upstreamConn
	u.mu.Lock()
	if conns := u.idle[c.addr]; len(conns) < upstreamMaxIdle {
		u.idle[c.addr] = append(conns, c)
		c = nil
	}
	if now.Sub(u.lastSweep) > upstreamIdleTimeout/3 {
		u.lastSweep = now
		stale = u.sweep(now)
	}
	u.mu.Unlock()
	if c != nil {
		c.Close()
	}
	for _, s := range stale {
		s.Close()
	}
}

// sweep takes the connections idle for too long out of the pool; u.mu is
// held. The oldest of an address come first.
func (u *upstreams) sweep(now time.Time) (stale []*upstreamConn) {
	for addr, conns := range u.idle {
		n := 0
		for n < len(conns) && now.Sub(conns[n].idleSince) >= upstreamIdleTimeout {
			n++
		}
		if n == 0 {
			continue
		}
		stale = append(stale, conns[:n]...)
		if n == len(conns) {
			delete(u.idle, addr)
			continue
		}
		u.idle[addr] = append(conns[:0], conns[n:]...)
	}
	return stale
}

// close closes every idle connection (the server's shutdown).
func (u *upstreams) close() {
	u.mu.Lock()
	idle := u.idle
	u.idle = make(map[string][]*upstreamConn)
	u.mu.Unlock()
	for _, conns := range idle {
		for _, c := range conns {
			c.Close()
		}
	}
}
