package http

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// streamWriteTimeout bounds each write of a long-lived response (followed
// logs, deploy progress): the server has no WriteTimeout, so a client that
// never reads would otherwise hold its handler, its follow and the
// server's shutdown forever. A client that cannot take a line within it
// is cut. Tests lower it.
var streamWriteTimeout = 5 * time.Second

// streamStopGrace is how long a followed log may still write once the
// server stops: a reading client gets the lines already encoded and the
// response's end (whole lines, never a cut one); one that does not read
// is cut at once for Shutdown's purposes.
const streamStopGrace = 200 * time.Millisecond

// streams ends the server's long-lived responses (followed logs) when it
// shuts down: http.Server.Shutdown waits for responses to end, and a
// follow never ends by itself.
type streams struct {
	once   sync.Once
	ctx    context.Context // done once the server stops
	cancel context.CancelFunc
}

func (s *streams) init() {
	s.once.Do(func() { s.ctx, s.cancel = context.WithCancel(context.Background()) })
}

func (s *streams) closed() <-chan struct{} {
	s.init()
	return s.ctx.Done()
}

func (s *streams) stop() {
	s.init()
	s.cancel()
}

// open returns the writer of a long-lived response on w, which the stop
// of the server cuts even in the middle of a blocked write. The caller
// must call end.
func (s *streams) open(w http.ResponseWriter) *streamWriter {
	s.init()
	sw := &streamWriter{rc: http.NewResponseController(w)}
	sw.unwatch = context.AfterFunc(s.ctx, sw.cut)
	return sw
}

// streamWriter bounds the writes of one long-lived response.
type streamWriter struct {
	rc      *http.ResponseController
	unwatch func() bool

	mu      sync.Mutex // orders next's deadlines against cut's
	stopped bool
}

// next gives the next line streamWriteTimeout to reach the client; false
// once the server stops (nothing more should be written).
func (sw *streamWriter) next() bool {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.stopped {
		return false
	}
	_ = sw.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	return true
}

func (sw *streamWriter) cut() {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	sw.stopped = true
	_ = sw.rc.SetWriteDeadline(time.Now().Add(streamStopGrace))
}

// end stops watching the server's stop. The last deadline stays: it
// bounds the response's end, which net/http writes after the handler
// returns; clearWriteDeadline lifts it once the connection is idle.
func (sw *streamWriter) end() { sw.unwatch() }

// clearWriteDeadline is the server's ConnState hook: a connection back to
// idle drops the write deadline its last response set (streams, the
// gateway's answers), so that the next request on it starts unbounded.
func clearWriteDeadline(c net.Conn, state http.ConnState) {
	if state == http.StateIdle {
		_ = c.SetWriteDeadline(time.Time{})
	}
}
