package http

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// gateway forwards requests to function instances. One ReverseProxy and one
// Transport serve every function so keep-alive connections are pooled.
type gateway struct {
	router lambda.Router
	logger *slog.Logger
	proxy  *httputil.ReverseProxy
}

// Headers between the gateway and the in-container shim
// (docs/runtime-contract.md). Clients cannot set them: the gateway strips
// them from every incoming request.
const (
	HeaderInvokeMode = "X-Lambda-Invoke-Mode" // "raw": the body is the event
	HeaderRequestID  = "X-Lambda-Request-Id"
	HeaderDeadline   = "X-Lambda-Deadline-Ms"
	HeaderLogType    = "X-Lambda-Log-Type"   // "Tail": answer with HeaderLogResult
	HeaderLogResult  = "X-Lambda-Log-Result" // base64 of the invocation's last 4 KB of output
	// HeaderFunctionError marks a function's own failure ("Unhandled").
	HeaderFunctionError = "X-Lambda-Function-Error"
)

// invocation says how a request reaches the function.
type invocation struct {
	raw     bool // a direct invocation: the body is the event
	logTail bool // ask the shim for the invocation's log tail
	prefix  string
}

// proxyState travels in the request context from serve to the proxy hooks.
type proxyState struct {
	lease   *lambda.Lease
	path    string // path for the instance
	rawPath string
	prefix  string // stripped prefix, reported as X-Forwarded-Prefix
	failed  bool   // the instance broke: the router checks it
}

type stateKey struct{}

func newGateway(router lambda.Router, logger *slog.Logger) *gateway {
	g := &gateway{router: router, logger: logger}
	g.proxy = &httputil.ReverseProxy{
		Rewrite:   g.rewrite,
		Transport: newTransport(),
		// 0, not -1: ReverseProxy still flushes streams (no
		// Content-Length, or text/event-stream) at once, while a response
		// of known length goes out in one write with its headers. With -1
		// every response also started a timer goroutine that flushed the
		// headers alone: two writes, two wake-ups of the client.
		FlushInterval:  0,
		BufferPool:     newBufferPool(),
		ErrorHandler:   g.proxyError,
		ModifyResponse: g.modifyResponse,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	return g
}

func newTransport() *http.Transport {
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          4096,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ExpectContinueTimeout: time.Second,
	}
}

// serve forwards r to an instance of function name.
func (g *gateway) serve(w http.ResponseWriter, r *http.Request, name string, inv invocation) {
	prefix := inv.prefix
	if r.ContentLength > lambda.MaxPayloadBytes {
		writeError(w, r, g.logger, tooLarge())
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, lambda.MaxPayloadBytes)
	lease, err := g.router.Acquire(r.Context(), name)
	if err != nil {
		writeError(w, r, g.logger, err)
		return
	}
	st := &proxyState{lease: lease, prefix: prefix}
	st.path, st.rawPath = stripPrefix(r, prefix)
	// The function's deadline goes to the shim, which answers 504 itself
	// (with the function's logs) and recycles the instance; the proxy
	// gives it a moment more before it gives up on its own.
	deadline := time.Now().Add(lease.Timeout)
	ctx, cancel := context.WithDeadline(r.Context(), deadline.Add(timeoutSlack))
	defer cancel()
	setPlatformHeaders(r.Header, inv, deadline)
	defer func() { lease.Release(st.failed) }()
	g.proxy.ServeHTTP(w, r.WithContext(context.WithValue(ctx, stateKey{}, st)))
}

func (g *gateway) rewrite(pr *httputil.ProxyRequest) {
	st := pr.In.Context().Value(stateKey{}).(*proxyState)
	pr.Out.URL.Scheme = "http"
	pr.Out.URL.Host = st.lease.Addr
	pr.Out.URL.Path, pr.Out.URL.RawPath = st.path, st.rawPath
	pr.Out.Host = pr.In.Host
	pr.SetXForwarded()
	if st.prefix != "" {
		pr.Out.Header.Set("X-Forwarded-Prefix", st.prefix)
	}
}

func (g *gateway) modifyResponse(resp *http.Response) error {
	st := resp.Request.Context().Value(stateKey{}).(*proxyState)
	// Only the platform may mark an answer as its own error.
	resp.Header.Del(ErrorHeader)
	resp.Header.Set("X-Lambda-Version", strconv.Itoa(st.lease.Version))
	resp.Header.Set("X-Lambda-Cold-Start", strconv.FormatBool(st.lease.Cold))
	// Time spent getting an instance (queue wait and cold start), for
	// browsers' dev tools and the metrics to come.
	resp.Header.Set("Server-Timing", "lambda-wait;dur="+strconv.FormatFloat(float64(st.lease.Wait.Microseconds())/1000, 'f', 3, 64))
	return nil
}

// proxyError tells the caller why the function gave no response: its own
// failure (502/504) is reported, not logged as a platform error.
func (g *gateway) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	st := r.Context().Value(stateKey{}).(*proxyState)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, r, g.logger, tooLarge())
	case errors.Is(r.Context().Err(), context.DeadlineExceeded):
		st.failed = true // a function stuck past its deadline is recycled, as Lambda does
		writeError(w, r, g.logger, lambda.Errorf(lambda.ETIMEOUT, "function %q timed out after %s", st.lease.Function, st.lease.Timeout))
	case r.Context().Err() != nil:
		// The client went away; nobody is left to answer.
		w.WriteHeader(499)
	default:
		st.failed = true
		g.logger.Warn("function failed", "function", st.lease.Function, "version", st.lease.Version, "err", err)
		writeError(w, r, g.logger, lambda.Errorf(lambda.EFUNCTION, "function %q failed to answer: %v", st.lease.Function, err))
	}
}

// setPlatformHeaders replaces whatever platform headers a client sent with
// the gateway's own.
func setPlatformHeaders(h http.Header, inv invocation, deadline time.Time) {
	requestID := h.Get(HeaderRequestID)
	for _, k := range []string{HeaderInvokeMode, HeaderRequestID, HeaderDeadline, HeaderLogType} {
		h.Del(k)
	}
	if inv.raw {
		h.Set(HeaderInvokeMode, "raw")
	}
	if inv.logTail {
		h.Set(HeaderLogType, "Tail")
	}
	if requestID == "" || !inv.raw {
		requestID = newRequestID()
	}
	h.Set(HeaderRequestID, requestID)
	h.Set(HeaderDeadline, strconv.FormatInt(deadline.UnixMilli(), 10))
}

// timeoutSlack is how long past a function's deadline the proxy waits for
// the shim's own timeout answer.
const timeoutSlack = 500 * time.Millisecond

func tooLarge() error {
	return lambda.Errorf(lambda.ETOOLARGE, "request body is over the %d MB limit", lambda.MaxPayloadBytes>>20)
}

// stripPrefix returns r's path without prefix, in decoded and raw form.
func stripPrefix(r *http.Request, prefix string) (path, rawPath string) {
	path = r.URL.Path[len(prefix):]
	if r.URL.RawPath != "" && len(r.URL.RawPath) >= len(prefix) {
		rawPath = r.URL.RawPath[len(prefix):]
	}
	if path == "" || path[0] != '/' {
		path, rawPath = "/"+path, "/"+rawPath
		if rawPath == "/" {
			rawPath = ""
		}
	}
	return path, rawPath
}

// bufferPool reuses the proxy's copy buffers across requests.
type bufferPool struct{ p sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}
}

func (b *bufferPool) Get() []byte  { return *(b.p.Get().(*[]byte)) }
func (b *bufferPool) Put(p []byte) { b.p.Put(&p) }
