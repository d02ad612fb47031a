package http

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The front serves function requests on plain HTTP/1.1 connections
// itself (and the control API's invocations, front_api.go), and hands
// every other connection to net/http, on the same port.
// net/http's server costs a function request more than the forwarding
// does: a goroutine per request that reads the connection in the
// background (to notice a client going away) and is stopped again by a
// read deadline, a context pair, the request's parsing into a fresh
// *http.Request with its URL and the response's chunk writer. The front
// reads the request head in the connection's goroutine, builds the
// *http.Request the same handler takes (Server.serveHost: the routing
// stays where it is), and watches for a client going away only when a
// request runs longer than frontWatchAfter. Whatever it does not know how
// to serve — another route, a protocol upgrade, HTTP/1.0, an Expect
// header, a head larger than its buffer, anything malformed — goes to
// net/http with the connection's unread bytes, from that request on
// (docs/performance.md, "The gateway hop"). TLS connections are served by
// net/http alone.
type front struct {
	s       *Server
	ln      net.Listener
	handoff *handoffListener
	logger  *slog.Logger

	mu      sync.Mutex
	conns   map[*frontConn]bool // true: a request is in flight
	closing bool
	idle    chan struct{} // closed when the last request in flight ends during Close
	done    chan struct{} // closed when the accept loop has ended
}

// frontHeadBuffer is the read buffer of a connection: a function
// request's head must fit in it, else net/http serves it (and answers
// 431 past MaxHeaderBytes).
const frontHeadBuffer = 8 << 10

// frontWatchAfter is how long a request runs before the front watches its
// connection for the client going away (which cancels the request's
// context, as net/http's background read does for every request).
const frontWatchAfter = 5 * time.Millisecond

// frontIdleTimeout is how long a kept-alive connection may wait for its
// next request, as net/http's IdleTimeout.
const frontIdleTimeout = 2 * time.Minute

// newFront serves ln; net/http serves what the returned front's handoff
// listener accepts.
func newFront(s *Server, ln net.Listener) *front {
	f := &front{s: s, ln: ln, logger: s.Logger, conns: make(map[*frontConn]bool), done: make(chan struct{}),
		handoff: &handoffListener{addr: ln.Addr(), conns: make(chan net.Conn), closed: make(chan struct{})}}
	go f.accept()
	return f
}

func (f *front) accept() {
	defer close(f.done)
	var delay time.Duration
	for {
		c, err := f.ln.Accept()
		if err != nil {
			if temporaryAccept(err) {
				// As net/http's Serve: wait and accept again. Returning
				// left the port accepting nothing for good after a flood
				// of connections ran the process out of descriptors.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				f.logger.Warn("cannot accept a connection; retrying", "err", err, "in", delay)
				time.Sleep(delay)
				continue
			}
			f.mu.Lock()
			closing := f.closing
			f.mu.Unlock()
			if !closing {
				f.handoff.fail(err) // net/http's Serve returns it
			}
			return // else net/http's Shutdown closes the handoff
		}
		delay = 0
		fc := &frontConn{f: f, Conn: c}
		f.mu.Lock()
		if f.closing {
			f.mu.Unlock()
			c.Close()
			continue
		}
		f.conns[fc] = false
		f.mu.Unlock()
		go fc.serve()
	}
}

// temporaryAccept reports whether an Accept error passes: a timeout, the
// process or the system out of descriptors or buffers, a connection
// aborted before it was accepted.
func temporaryAccept(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ECONNABORTED, syscall.ENOBUFS, syscall.ENOMEM} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// setActive marks c as serving a request or idle; it reports false when
// the front is closing and c should end (an idle connection).
func (f *front) setActive(c *frontConn, active bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closing && !active {
		delete(f.conns, c)
		f.signalIdle()
		return false
	}
	f.conns[c] = active
	return true
}

func (f *front) forget(c *frontConn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.signalIdle()
	f.mu.Unlock()
}

// signalIdle closes f.idle once no request is in flight during Close; f.mu
// is held.
func (f *front) signalIdle() {
	if !f.closing || f.idle == nil {
		return
	}
	for _, active := range f.conns {
		if active {
			return
		}
	}
	close(f.idle)
	f.idle = nil
}

// close stops accepting, ends idle connections, and waits until the
// requests in flight have ended or ctx ends, then closes what is left.
func (f *front) close(ctx context.Context) {
	f.mu.Lock()
	f.closing = true
	idle := make(chan struct{})
	f.idle = idle
	for c, active := range f.conns {
		if !active {
			c.Close() // its serve loop ends and forgets it
		}
	}
	f.signalIdle()
	f.mu.Unlock()
	f.ln.Close()
	<-f.done
	select {
	case <-idle:
	case <-ctx.Done():
	}
	f.mu.Lock()
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
}

// frontConn is one client connection served by the front.
type frontConn struct {
	f *front
	net.Conn
	br         *bufio.Reader
	bw         *bufio.Writer
	remoteAddr string
	// pending holds a byte the watcher read (a pipelined request's
	// first), which the next read returns first.
	pending []byte
	// unread is set when the last request's body was not read to its
	// end: closing then lingers (lingerClose).
	unread bool
	// Reused from request to request (front_request.go, serveRequest).
	watch  watcher
	resp   frontResponse
	header http.Header // resp's
	body   frontBody
}

// Read reads the connection for br, the watcher's byte first.
func (c *frontConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

var (
	frontReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, frontHeadBuffer) }}
	frontWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4<<10) }}
)

func (c *frontConn) serve() {
	c.remoteAddr = c.Conn.RemoteAddr().String()
	c.br = frontReaders.Get().(*bufio.Reader)
	c.br.Reset(c)
	c.bw = frontWriters.Get().(*bufio.Writer)
	c.bw.Reset(c.Conn)
	handed := false
	defer func() {
		if !handed {
			c.Conn.Close()
			c.br.Reset(nil)
			frontReaders.Put(c.br)
		}
		c.bw.Reset(nil)
		frontWriters.Put(c.bw)
		c.f.forget(c)
	}()
	for {
		_ = c.Conn.SetReadDeadline(time.Now().Add(frontIdleTimeout))
		if _, err := c.br.Peek(1); err != nil {
			return
		}
		if !c.f.setActive(c, true) {
			return
		}
		_ = c.Conn.SetReadDeadline(time.Now().Add(c.f.s.ReadHeaderTimeout))
		req, headLen, ok, err := c.parse()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			// The head did not arrive within ReadHeaderTimeout: handed
			// over, it got net/http's as well (a slowloris held the
			// connection twice as long).
			return
		}
		if !ok {
			// net/http serves this request and the rest of the connection;
			// it owns the buffered bytes from here on.
			_ = c.Conn.SetReadDeadline(time.Time{})
			handed = c.f.handoff.give(&handedConn{Conn: c.Conn, r: c.br})
			return
		}
		_, _ = c.br.Discard(headLen)
		_ = c.Conn.SetReadDeadline(time.Time{})
		keep := c.serveRequest(req)
		if !keep && c.unread {
			c.lingerClose()
			return
		}
		if !keep || !c.f.setActive(c, false) {
			return
		}
	}
}

// parse reads the head of the request at the front of br, without
// consuming it; ok is false when net/http is to serve it, err the read's
// failure if one ended the head.
func (c *frontConn) parse() (r *http.Request, headLen int, ok bool, err error) {
	var head []byte
	for n := c.br.Buffered(); ; {
		b, err := c.br.Peek(n)
		if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
			head, headLen = b[:i+2], i+4
			break
		}
		// A line ended by a bare LF never makes "\r\n\r\n": net/http,
		// which reads it, serves it now rather than after the header
		// timeout.
		if err != nil || len(b) >= frontHeadBuffer || hasBareLF(b) {
			return nil, 0, false, err
		}
		// Peek fills the buffer with what has arrived, at least one more.
		n = min(max(c.br.Buffered(), len(b)+1), frontHeadBuffer)
	}
	r, ok = parseFunctionRequest(c.f.s, head)
	if !ok || isFrontInvocation(r.Method, targetPath(r.RequestURI)) && !c.bodyBuffered(r, headLen) {
		return nil, 0, false, nil
	}
	r.RemoteAddr = c.remoteAddr
	return r, headLen, true, nil
}

// hasBareLF reports whether b holds a '\n' not preceded by '\r'.
func hasBareLF(b []byte) bool {
	for i := bytes.IndexByte(b, '\n'); i >= 0; {
		if i == 0 || b[i-1] != '\r' {
			return true
		}
		j := bytes.IndexByte(b[i+1:], '\n')
		if j < 0 {
			return false
		}
		i += j + 1
	}
	return false
}

// parseFunctionRequest parses a request head (lines ending in CRLF,
// without the blank line) when it is a plain HTTP/1.1 request to a
// function the front serves, or an invocation of the control API
// (front_api.go); ok is false for anything else.
func parseFunctionRequest(s *Server, head []byte) (*http.Request, bool) {
	fr := new(frontRequest)
	if !fr.parse(s, head) {
		return nil, false
	}
	return &fr.req, true
}

// frontRequest is a parsed request and its URL, in one allocation.
type frontRequest struct {
	req http.Request
	url url.URL
}

// parse parses head into fr (parseFunctionRequest). The head becomes one
// string, of which the method, the target, the header keys and values are
// parts, and the values' slices share one array: a request costs a few
// allocations, not three per header (docs/performance.md, "The gateway
// hop").
func (fr *frontRequest) parse(s *Server, head []byte) bool {
	hs := string(head)
	line, rest, _ := strings.Cut(hs, "\r\n")
	method, rest1, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest1, " ")
	if !ok1 || !ok2 || proto != "HTTP/1.1" || len(target) == 0 || target[0] != '/' || !validMethod(method) {
		return false
	}
	n := strings.Count(rest, "\r\n") + 1
	vals := make([]string, 0, n)
	h := make(http.Header, n)
	for len(rest) > 0 {
		var l string
		l, rest, _ = strings.Cut(rest, "\r\n")
		k, v, ok := strings.Cut(l, ":")
		if !ok || len(k) == 0 || !validHeaderKey(k) || !validHeaderValue(v) {
			return false
		}
		key := textproto.CanonicalMIMEHeaderKey(k) // k itself when canonical
		vals = append(vals, strings.Trim(v, " \t"))
		if old := h[key]; len(old) > 0 {
			h[key] = append(old[:len(old):len(old)], vals[len(vals)-1])
		} else {
			h[key] = vals[len(vals)-1 : len(vals) : len(vals)]
		}
	}
	host := h["Host"]
	if len(host) != 1 || len(h["Upgrade"]) > 0 || len(h["Expect"]) > 0 || len(h["Content-Length"]) > 1 {
		return false
	}
	path := targetPath(target)
	if _, fn, err := functionFromHost(host[0], s.Domain); err != nil || (!fn && !strings.HasPrefix(path, "/fn/") && !isFrontInvocation(method, path)) {
		return false
	}
	return fr.build(method, target, host[0], h)
}
