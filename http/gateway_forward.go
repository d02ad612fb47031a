package http

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The forwarder sends a function request to its instance and copies the
// answer back in the request's own goroutine, over the Invoker's pooled
// connections (upstream.go, upstream_exchange.go). It does what ReverseProxy with the
// Invoker's Transport did (the same request on the wire, hop-by-hop
// headers dropped both ways, X-Forwarded-*, streams flushed as they come,
// trailers, an answer that breaks off aborting the client's) without the
// Transport's read and write goroutines, the request's clone and its
// header's copy. Upgrade requests (WebSocket) still go through
// ReverseProxy, which switches protocols.

// hopHeaders are the hop-by-hop headers of RFC 9110 §7.6.1, which a proxy
// does not forward, in canonical form.
var hopHeaders = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// isUpgrade reports whether r asks to switch protocols, which only
// ReverseProxy handles.
func isUpgrade(r *http.Request) bool {
	return len(r.Header["Upgrade"]) > 0
}

// forwardDirect sends r to st.lease's instance until deadline (plus the
// slack), and copies the answer to w. Its failures end as proxyError's
// did: an undelivered request marks st for serve's retry, anything else
// goes through noAnswer.
func (g *gateway) forwardDirect(w http.ResponseWriter, r *http.Request, st *proxyState, deadline time.Time) {
	head := requestBufs.Get().(*[]byte)
	*head = g.appendRequest((*head)[:0], r, st)
	var body []byte
	if st.body != nil {
		body = st.body.data
	}
	resp, c, err := g.iv.upstreams.roundTrip(r.Context(), st.lease.Addr, r, *head, body, deadline)
	requestBufs.Put(head)
	if err != nil {
		g.forwardError(w, r, st, deadline, err)
		return
	}
	g.answered(st, resp.Header, resp.StatusCode)
	h := w.Header()
	for k, vv := range resp.Header {
		h[k] = vv
	}
	if len(resp.Trailer) > 0 {
		for k := range resp.Trailer {
			h.Add("Trailer", k)
		}
	}
	w.WriteHeader(resp.StatusCode)
	stop := context.AfterFunc(r.Context(), func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	err = copyAnswer(w, resp.Body, streamed(resp))
	stop()
	if err != nil {
		c.Close()
		c.finishWrite()
		panic(http.ErrAbortHandler) // as ReverseProxy: the client's answer cannot be completed
	}
	for k, vv := range resp.Trailer {
		h[http.TrailerPrefix+k] = vv
	}
	if !c.finishWrite() || resp.Close {
		c.Close()
		return
	}
	g.iv.upstreams.put(c)
}

// forwardError ends a request that got no answer as proxyError did.
func (g *gateway) forwardError(w http.ResponseWriter, r *http.Request, st *proxyState, deadline time.Time, err error) {
	if st.retry && undelivered(err) && r.Context().Err() == nil {
		st.undelivered = true // serve tries another instance; nothing is written
		return
	}
	// noAnswer tells a timeout by its context's deadline.
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(timeoutSlack))
	defer cancel()
	st.err, st.failed = g.iv.noAnswer(ctx, st.caller, st.lease, st.lease.Timeout, err, &st.rec)
	if isCanceled(st.err) {
		w.WriteHeader(499) // nobody is left to read it
		return
	}
	writeError(w, r, g.logger, st.err)
}

// appendRequest appends the head of r as the instance gets it: the path
// without the gateway's prefix, the client's headers but the hop-by-hop
// ones and X-Forwarded-*, which the gateway sets itself.
func (g *gateway) appendRequest(b []byte, r *http.Request, st *proxyState) []byte {
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, (&url.URL{Path: st.path, RawPath: st.rawPath}).EscapedPath()...)
	if r.URL.RawQuery != "" {
		b = append(b, '?')
		b = append(b, r.URL.RawQuery...)
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, r.Host...)
	b = append(b, "\r\n"...)
	listed := r.Header["Connection"]
	for k, vv := range r.Header {
		switch k {
		case "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Expect", "Content-Length":
			continue
		case "X-Forwarded-Prefix":
			if st.prefix != "" {
				continue
			}
		case "Te":
			if hasToken(vv, "trailers") {
				b = append(b, "Te: trailers\r\n"...)
			}
			continue
		}
		if hopHeaders[k] || (len(listed) > 0 && hasToken(listed, k)) {
			continue
		}
		for _, v := range vv {
			b = appendHeader(b, k, v)
		}
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		b = appendHeader(b, "X-Forwarded-For", ip)
	}
	b = appendHeader(b, "X-Forwarded-Host", r.Host)
	if r.TLS == nil {
		b = append(b, "X-Forwarded-Proto: http\r\n"...)
	} else {
		b = append(b, "X-Forwarded-Proto: https\r\n"...)
	}
	if st.prefix != "" {
		b = appendHeader(b, "X-Forwarded-Prefix", st.prefix)
	}
	switch {
	case st.body != nil:
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(st.body.data)), 10)
		b = append(b, "\r\n"...)
	case r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch:
		b = append(b, "Content-Length: 0\r\n"...)
	}
	return append(b, "\r\n"...)
}

func appendHeader(b []byte, k, v string) []byte {
	b = append(b, k...)
	b = append(b, ": "...)
	b = append(b, v...)
	return append(b, "\r\n"...)
}

// hasToken reports whether the comma-separated lists vv hold token,
// case-insensitively.
func hasToken(vv []string, token string) bool {
	for _, v := range vv {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// removeHopHeaders drops an answer's hop-by-hop headers, and those its
// Connection header names.
func removeHopHeaders(h http.Header) {
	for _, v := range h["Connection"] {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				delete(h, textproto.CanonicalMIMEHeaderKey(t))
			}
		}
	}
	for k := range hopHeaders {
		delete(h, k)
	}
}

// streamed reports whether an answer goes to the client as it arrives, as
// ReverseProxy decided: a stream (no length) or server-sent events. One of
// known length goes out with its headers in one write.
func streamed(resp *http.Response) bool {
	return resp.ContentLength < 0 || strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")
}

// copyAnswer copies body to w, flushing after every read when streamed.
func copyAnswer(w http.ResponseWriter, body io.Reader, streamed bool) error {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var flush func() error
	if streamed {
		flush = http.NewResponseController(w).Flush
	}
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if flush != nil {
				if ferr := flush(); ferr != nil && !errors.Is(ferr, http.ErrNotSupported) {
					return ferr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// copyBufs are the forwarder's copy buffers.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
