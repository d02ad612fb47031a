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

// build makes fr's request of a parsed head; false for a framing the
// front leaves to net/http.
func (fr *frontRequest) build(method, target, host string, h http.Header) bool {
	if !fr.parseTarget(target) {
		return false
	}
	delete(h, "Host")
	fr.req = http.Request{Method: method, URL: &fr.url, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Host: host, RequestURI: target, Close: hasToken(h["Connection"], "close")}
	r := &fr.req
	te, cl := h["Transfer-Encoding"], h["Content-Length"]
	switch {
	case len(te) > 0:
		if len(te) != 1 || !strings.EqualFold(te[0], "chunked") || len(cl) > 0 {
			return false
		}
		delete(h, "Transfer-Encoding")
		r.ContentLength, r.TransferEncoding = -1, []string{"chunked"}
	case len(cl) == 1:
		// Digits only, as net/http reads it (RFC 9112 §6.2): ParseInt
		// would take a sign, "+5" or "-0", which net/http refuses.
		n, err := strconv.ParseUint(cl[0], 10, 63)
		if err != nil {
			return false
		}
		r.ContentLength = int64(n)
	}
	return true
}

// parseTarget sets fr.url from a request's target, as
// url.ParseRequestURI does. A path of characters that are never escaped
// (no '%' either) is its own decoded and escaped form, which needs no
// parsing: only other targets go through url.ParseRequestURI.
func (fr *frontRequest) parseTarget(target string) bool {
	path, query, hasQuery := strings.Cut(target, "?")
	if plainPath(path) && !hasCTL(query) {
		fr.url = url.URL{Path: path, RawQuery: query, ForceQuery: hasQuery && query == ""}
		return true
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return false
	}
	fr.url = *u
	return true
}

// plainPath reports whether p has only bytes url.URL.EscapedPath leaves
// as they are: letters, digits and -_.~$&+,/:;=@.
func plainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			continue
		}
		if strings.IndexByte("-_.~$&+,/:;=@", c) < 0 {
			return false
		}
	}
	return true
}

// hasCTL reports whether s holds an ASCII control character, which
// url.ParseRequestURI refuses.
func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// validMethod reports whether m is an HTTP token.
func validMethod(m string) bool { return len(m) > 0 && validHeaderKey(m) }

func validHeaderKey[T string | []byte](k T) bool {
	for i := 0; i < len(k); i++ {
		if b := k[i]; b <= ' ' || b >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, b) >= 0 {
			return false
		}
	}
	return true
}

func validHeaderValue[T string | []byte](v T) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

// serveRequest runs the server's handler on r and reports whether the
// connection can take another request. The response writer, its header
// map, the body and the watcher are the connection's, reused from
// request to request: a handler does not keep them past its return.
func (c *frontConn) serveRequest(r *http.Request) (keep bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r = r.WithContext(ctx)
	var body *frontBody
	switch {
	case r.ContentLength > 0:
		body = &c.body
		*body = frontBody{c: c, n: r.ContentLength}
		r.Body = body
	case r.ContentLength < 0:
		body = &c.body
		*body = frontBody{c: c, chunked: httputil.NewChunkedReader(c.br)}
		r.Body = body
	default:
		r.Body = http.NoBody
	}
	if c.header == nil {
		c.header = make(http.Header, 8)
	} else {
		clear(c.header)
	}
	c.resp = frontResponse{c: c, req: r, header: c.header, cl: -1, closeAfter: r.Close}
	w := &c.resp
	c.watch.begin(c, cancel)
	if body == nil {
		c.watch.arm()
	}
	aborted := c.runHandler(w, r)
	c.watch.stop()
	if aborted {
		return false
	}
	body.skipBuffered()
	w.finish()
	_ = c.Conn.SetWriteDeadline(time.Time{})
	keep = !w.closeAfter && w.err == nil && (body == nil || body.eof)
	c.unread = body != nil && !body.eof
	c.resp = frontResponse{}
	return keep
}

// runHandler runs the handler; a panic ends the connection, silently for
// http.ErrAbortHandler (an answer that broke off), as net/http does.
func (c *frontConn) runHandler(w http.ResponseWriter, r *http.Request) (aborted bool) {
	defer func() {
		if p := recover(); p != nil {
			aborted = true
			if p != http.ErrAbortHandler {
				c.f.logger.Error("panic serving a request", "remote", c.remoteAddr, "panic", p)
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
// next read. It is the connection's, with one timer reset from request to
// request (a timer and its func per request were allocations and garbage
// on every request): a late fire of an earlier request's timer watches
// the current request early, which is what happens anyway after
// frontWatchAfter, and never before the current request's body is read
// (armed).
type watcher struct {
	c      *frontConn
	mu     sync.Mutex
	cancel context.CancelFunc // the current request's
	timer  *time.Timer        // made at the connection's first arm
	armed  bool               // from arm to stop: the body is read, the handler runs
	done   chan struct{}      // set while a read runs
}

// begin sets the watch up for a request whose context cancel cancels.
func (wt *watcher) begin(c *frontConn, cancel context.CancelFunc) {
	wt.mu.Lock()
	wt.c, wt.cancel = c, cancel
	wt.mu.Unlock()
}

// arm starts the watch's clock, once the request's body is read.
func (wt *watcher) arm() {
	wt.mu.Lock()
	wt.armed = true
	if wt.timer == nil {
		wt.timer = time.AfterFunc(frontWatchAfter, wt.run)
	} else {
		wt.timer.Reset(frontWatchAfter)
	}
	wt.mu.Unlock()
}

func (wt *watcher) run() {
	wt.mu.Lock()
	c := wt.c
	if !wt.armed || wt.done != nil || c.br.Buffered() > 0 || len(c.pending) > 0 {
		wt.mu.Unlock()
		return
	}
	done := make(chan struct{})
	wt.done = done
	cancel := wt.cancel
	wt.mu.Unlock()
	var b [1]byte
	n, err := c.Conn.Read(b[:])
	if n == 1 {
		c.pending = append(c.pending[:0], b[0])
	}
	wt.mu.Lock()
	armed := wt.armed
	wt.done = nil
	wt.mu.Unlock()
	close(done)
	if n == 0 && err != nil && armed {
		cancel()
	}
}

// stop ends the watch and waits for its read, if one runs.
func (wt *watcher) stop() {
	wt.mu.Lock()
	wt.armed = false
	if wt.timer != nil {
		wt.timer.Stop()
	}
	done := wt.done
	c := wt.c
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

// skipBuffered passes over what the handler left unread of a
// Content-Length body that is all in the connection's buffer, as net/http
// discards a small unread body: the connection can serve the next
// request (an API invocation refused before its event was read, say)
// instead of closing behind an answer that did not say so. A body still
// partly in the socket is left: the connection ends.
func (b *frontBody) skipBuffered() {
	if b == nil || b.eof || b.chunked != nil || int64(b.c.br.Buffered()) < b.n {
		return
	}
	_, _ = b.c.br.Discard(int(b.n))
	b.n, b.eof = 0, true
}

func (b *frontBody) end() {
	b.eof = true
	b.c.watch.arm()
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
