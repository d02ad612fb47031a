package http

import (
	"errors"
	"io"
	"net"
	"sync"
)

// handoffListener is what net/http serves: the connections the front
// hands over.
type handoffListener struct {
	addr   net.Addr
	conns  chan net.Conn
	once   sync.Once
	closed chan struct{}
	err    error // why Accept ends (set before closed is closed)
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		if l.err != nil {
			return nil, l.err
		}
		return nil, net.ErrClosed
	}
}

// give hands c to net/http; false when it no longer accepts.
func (l *handoffListener) give(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.closed:
		return false
	}
}

func (l *handoffListener) fail(err error) {
	l.once.Do(func() {
		if !errors.Is(err, net.ErrClosed) {
			l.err = err
		}
		close(l.closed)
	})
}

func (l *handoffListener) Close() error   { l.fail(net.ErrClosed); return nil }
func (l *handoffListener) Addr() net.Addr { return l.addr }

// handedConn is a connection net/http takes over: it reads first what the
// front had read and not served.
type handedConn struct {
	net.Conn
	r io.Reader
}

func (c *handedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// CloseWrite keeps net/http's half-close (jsonErrorConn).
func (c *handedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
