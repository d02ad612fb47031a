package http

import (
	"context"
	"errors"
	"io"
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
	limits clientLimits
	// authorizer, when set, gives Acquire the check of a private
	// function's caller (lambda.WithInvokeAuth); consumed is set when the
	// request's Authorization header served it.
	authorizer func(r *http.Request, consumed *bool) lambda.InvokeAuthorizer
}

// clientLimits bound what a client may cost the gateway.
type clientLimits struct {
	// bodyRead bounds the arrival of a request body, which happens before
	// an instance is taken (gateway_body.go).
	bodyRead time.Duration
	// responseWrite is how long past the function's deadline a client may
	// take to read the function's response (see bindWrite).
	responseWrite time.Duration
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
	// HeaderInstanceFailed is the shim's word that the function's process
	// died during the invocation (value: the reason). The gateway then
	// releases the instance as failed, so it leaves the pool at once
	// instead of being handed to the next request, and strips the header.
	HeaderInstanceFailed = "X-Lambda-Instance-Failed"
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
	body    *payload // nil: no body
	path    string   // path for the instance
	rawPath string
	prefix  string // stripped prefix, reported as X-Forwarded-Prefix
	failed  bool   // the instance broke: the router checks it
	// retry allows one more attempt when the request could not be
	// delivered at all; undelivered says that happened.
	retry, undelivered bool
}

type stateKey struct{}

func newGateway(router lambda.Router, logger *slog.Logger, limits clientLimits) *gateway {
	g := &gateway{router: router, logger: logger, limits: limits}
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

// serve forwards r to an instance of function name: it reads the body,
// takes an instance, and sends the request once more to another instance
// when the first could not be reached at all.
func (g *gateway) serve(w http.ResponseWriter, r *http.Request, name string, inv invocation) {
	body, err := readPayload(w, r, g.limits.bodyRead)
	if err != nil {
		// The rest of the body, if any, is not worth reading.
		w.Header().Set("Connection", "close")
		writeError(w, r, g.logger, err)
		return
	}
	defer body.release()
	r.ContentLength, r.TransferEncoding, r.Trailer = 0, nil, nil
	if body != nil {
		r.ContentLength = int64(len(body.data))
	}
	ctx, consumed := r.Context(), false
	if g.authorizer != nil {
		ctx = lambda.WithInvokeAuth(ctx, g.authorizer(r, &consumed))
	}
	lease, err := g.router.Acquire(ctx, name)
	if err != nil {
		if lambda.ErrorCode(err) == lambda.EUNAUTHORIZED {
			w.Header().Set("WWW-Authenticate", `Bearer realm="lambda"`)
		}
		writeError(w, r, g.logger, err)
		return
	}
	if consumed || keyFrom(r.Context()) != nil {
		// The key was for the platform: the function never sees it.
		r.Header.Del("Authorization")
	}
	st := &proxyState{lease: lease, body: body, prefix: inv.prefix, retry: true}
	st.path, st.rawPath = stripPrefix(r, inv.prefix)
	defer func() { st.lease.Release(st.failed) }()
	unbind := g.bindWrite(w, lease.Timeout)
	defer unbind()
	g.forward(w, r, st, inv)
	if !st.undelivered {
		return
	}
	// Nothing reached the instance: it is gone (its exit not yet seen by
	// the pool). It leaves the pool, and the request goes to another.
	g.logger.Warn("instance unreachable; retrying on another", "function", lease.Function, "version", lease.Version, "addr", lease.Addr)
	st.lease.Release(true)
	if st.lease, err = g.router.Acquire(ctx, name); err != nil {
		st.lease = &lambda.Lease{} // already released; nothing left to release
		writeError(w, r, g.logger, err)
		return
	}
	st.retry, st.undelivered, st.failed = false, false, false
	g.bindWrite(w, st.lease.Timeout) // the deferred unbind clears it
	g.forward(w, r, st, inv)
}

// forward sends r to st.lease's instance and copies the answer to w.
func (g *gateway) forward(w http.ResponseWriter, r *http.Request, st *proxyState, inv invocation) {
	// The function's deadline goes to the shim, which answers 504 itself
	// (with the function's logs) and recycles the instance; the proxy
	// gives it a moment more before it gives up on its own.
	deadline := time.Now().Add(st.lease.Timeout)
	ctx, cancel := context.WithDeadline(r.Context(), deadline.Add(timeoutSlack))
	defer cancel()
	setPlatformHeaders(r.Header, inv, deadline)
	r.Body = http.NoBody
	if st.body != nil {
		r.Body = st.body.reader()
	}
	g.proxy.ServeHTTP(w, r.WithContext(context.WithValue(ctx, stateKey{}, st)))
}

// bindWrite bounds the writing of the function's answer to the client. A
// client that reads slowly, or not at all, stalls the copy from the
// instance, and with it the release of the instance's slot; the write
// deadline ends that at the function's deadline plus the response write
// timeout, the same bound as a slow function. The alternative, buffering
// the whole answer and releasing the instance before the client has it,
// would cost up to 6 MB per slow reader and cannot work for streamed
// answers, which have no end to wait for. The returned func flushes what
// is left while the deadline still holds, then clears it so the next
// request on the connection starts unbounded. Writers without deadlines
// (the scheduler's recorder) need none: nothing reads them slowly.
func (g *gateway) bindWrite(w http.ResponseWriter, timeout time.Duration) (unbind func()) {
	if g.limits.responseWrite <= 0 {
		return func() {}
	}
	rc := http.NewResponseController(w)
	if rc.SetWriteDeadline(time.Now().Add(timeout+timeoutSlack+g.limits.responseWrite)) != nil {
		return func() {}
	}
	return func() {
		_ = rc.Flush()
		_ = rc.SetWriteDeadline(time.Time{})
	}
}

func (g *gateway) rewrite(pr *httputil.ProxyRequest) {
	st := pr.In.Context().Value(stateKey{}).(*proxyState)
	pr.Out.URL.Scheme = "http"
	pr.Out.URL.Host = st.lease.Addr
	pr.Out.URL.Path, pr.Out.URL.RawPath = st.path, st.rawPath
	pr.Out.Host = pr.In.Host
	// The body is already here in full: the instance need not be asked
	// whether to send it, and the Transport may send it again when a
	// kept-alive connection turns out to be closed before a byte went out.
	pr.Out.Header.Del("Expect")
	if st.body != nil {
		pr.Out.GetBody = func() (io.ReadCloser, error) { return st.body.reader(), nil }
	}
	pr.SetXForwarded()
	if st.prefix != "" {
		pr.Out.Header.Set("X-Forwarded-Prefix", st.prefix)
	}
}

func (g *gateway) modifyResponse(resp *http.Response) error {
	st := resp.Request.Context().Value(stateKey{}).(*proxyState)
	// Only the platform may mark an answer as its own error.
	resp.Header.Del(ErrorHeader)
	if reason := resp.Header.Get(HeaderInstanceFailed); reason != "" {
		st.failed = true
		resp.Header.Del(HeaderInstanceFailed)
		g.logger.Warn("function process died during the invocation; replacing the instance", "function", st.lease.Function, "version", st.lease.Version, "reason", reason)
	}
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
	switch {
	case st.retry && undelivered(err) && r.Context().Err() == nil:
		st.undelivered = true // serve tries another instance; nothing is written
	case errors.Is(r.Context().Err(), context.DeadlineExceeded):
		st.failed = true // a function stuck past its deadline is recycled, as Lambda does
		writeError(w, r, g.logger, lambda.Errorf(lambda.ETIMEOUT, "function %q timed out after %s", st.lease.Function, st.lease.Timeout))
	case r.Context().Err() != nil:
		// The client went away; nobody is left to answer.
		w.WriteHeader(499)
	default:
		st.failed = true
		g.logger.Warn("function failed", "function", st.lease.Function, "version", st.lease.Version, "err", err)
		// Ask why before the lease is released: e.g. out of memory.
		if why := st.lease.Failure(r.Context()); why != nil {
			writeError(w, r, g.logger, why)
			return
		}
		writeError(w, r, g.logger, lambda.Errorf(lambda.EFUNCTION, "function %q failed to answer: %v", st.lease.Function, err))
	}
}

// undelivered reports that err happened before any byte of the request
// reached the instance: connecting to it failed.
func undelivered(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
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
