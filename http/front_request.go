package http

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// newFrontRequest makes the *http.Request of a parsed head; ok is false
// for a framing the front leaves to net/http.
func newFrontRequest(method, target, host string, h http.Header) (*http.Request, bool) {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, false
	}
	delete(h, "Host")
	r := &http.Request{Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Host: host, RequestURI: target, Close: hasToken(h["Connection"], "close")}
	te, cl := h["Transfer-Encoding"], h["Content-Length"]
	switch {
	case len(te) > 0:
		if len(te) != 1 || !strings.EqualFold(te[0], "chunked") || len(cl) > 0 {
			return nil, false
		}
		delete(h, "Transfer-Encoding")
		r.ContentLength, r.TransferEncoding = -1, []string{"chunked"}
	case len(cl) == 1:
		// Digits only, as net/http reads it (RFC 9112 §6.2): ParseInt
		// would take a sign, "+5" or "-0", which net/http refuses.
		n, err := strconv.ParseUint(cl[0], 10, 63)
		if err != nil {
			return nil, false
		}
		r.ContentLength = int64(n)
	}
	return r, true
}

// validMethod reports whether m is an HTTP token.
func validMethod(m []byte) bool { return len(m) > 0 && validHeaderKey(m) }

func validHeaderKey(k []byte) bool {
	for _, b := range k {
		if b <= ' ' || b >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, b) >= 0 {
			return false
		}
	}
	return true
}

func validHeaderValue(v []byte) bool {
	for _, b := range v {
		if (b < ' ' && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

// serveRequest runs the server's handler on r and reports whether the
// connection can take another request.
func (c *frontConn) serveRequest(r *http.Request) (keep bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r = r.WithContext(ctx)
	var body *frontBody
	switch {
	case r.ContentLength > 0:
		body = &frontBody{c: c, n: r.ContentLength}
		r.Body = body
	case r.ContentLength < 0:
		body = &frontBody{c: c, chunked: httputil.NewChunkedReader(c.br)}
		r.Body = body
	default:
		r.Body = http.NoBody
	}
	w := &frontResponse{c: c, req: r, header: make(http.Header, 8), cl: -1, closeAfter: r.Close}
	c.watcher = &watcher{cancel: cancel} // a fresh one: the last one's timer may still fire
	if body == nil {
		c.watcher.arm(c)
	}
	aborted := c.runHandler(w, r)
	c.watcher.stop(c)
	if aborted {
		return false
	}
	w.finish()
	_ = c.Conn.SetWriteDeadline(time.Time{})
	return !w.closeAfter && w.err == nil && (body == nil || body.eof)
}

// runHandler runs the handler; a panic ends the connection, silently for
// http.ErrAbortHandler (an answer that broke off), as net/http does.
func (c *frontConn) runHandler(w http.ResponseWriter, r *http.Request) (aborted bool) {
	defer func() {
		if p := recover(); p != nil {
			aborted = true
			if p != http.ErrAbortHandler {
				c.f.logger.Error("panic serving a function request", "remote", c.remoteAddr, "panic", p)
			}
		}
	}()
	c.f.s.handler.ServeHTTP(w, r)
	return false
}

// watcher notices a client going away while its request runs: after
// frontWatchAfter it reads the connection, as net/http's background read
// does for every request, and cancels the request's context when the
// connection ends. A byte it reads (a pipelined request) is kept for the
// next read.
type watcher struct {
	cancel  context.CancelFunc
	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
	done    chan struct{} // set while a read runs
}

// arm starts the watch's clock, once the request's body is read.
func (wt *watcher) arm(c *frontConn) {
	wt.timer = time.AfterFunc(frontWatchAfter, func() { wt.run(c) })
}

func (wt *watcher) run(c *frontConn) {
	wt.mu.Lock()
	if wt.stopped || c.br.Buffered() > 0 || len(c.pending) > 0 {
		wt.mu.Unlock()
		return
	}
	done := make(chan struct{})
	wt.done = done
	wt.mu.Unlock()
	defer close(done)
	var b [1]byte
	n, err := c.Conn.Read(b[:])
	if n == 1 {
		c.pending = append(c.pending[:0], b[0])
		return
	}
	wt.mu.Lock()
	stopped := wt.stopped
	wt.mu.Unlock()
	if err != nil && !stopped {
		wt.cancel()
	}
}

// stop ends the watch and waits for its read, if one runs.
func (wt *watcher) stop(c *frontConn) {
	wt.mu.Lock()
	wt.stopped = true
	if wt.timer != nil {
		wt.timer.Stop()
	}
	done := wt.done
	wt.mu.Unlock()
	if done != nil {
		_ = c.Conn.SetReadDeadline(time.Unix(1, 0))
		<-done
		_ = c.Conn.SetReadDeadline(time.Time{})
	}
}

// frontBody is a request's body, read from the connection's buffer.
type frontBody struct {
	c       *frontConn
	n       int64     // bytes left of a Content-Length body
	chunked io.Reader // a chunked body's decoder
	eof     bool
}

func (b *frontBody) Read(p []byte) (int, error) {
	if b.eof {
		return 0, io.EOF
	}
	if b.chunked != nil {
		n, err := b.chunked.Read(p)
		if err == io.EOF {
			if err = b.c.readTrailer(); err == nil {
				b.end()
				return n, io.EOF
			}
		}
		return n, err
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.c.br.Read(p)
	b.n -= int64(n)
	switch {
	case b.n == 0:
		b.end()
		return n, io.EOF
	case err == io.EOF:
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *frontBody) end() {
	b.eof = true
	b.c.watcher.arm(b.c)
}

func (b *frontBody) Close() error { return nil }

// readTrailer reads what follows a chunked body's last chunk: trailer
// lines, which are dropped, up to the blank line. A line that is neither
// blank nor a header fails the body, as net/http's reading does: taking
// "a\n" for the end would serve what follows it as the next request.
func (c *frontConn) readTrailer() error {
	for range 100 {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		if len(line) == 0 {
			return nil
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); !ok || len(k) == 0 || !validHeaderKey(k) || !validHeaderValue(v) {
			return errors.New("malformed trailer line")
		}
	}
	return errors.New("too many trailer lines")
}
