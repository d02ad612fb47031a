package http

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"strconv"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// gateway is the Invoker's streamed entry point, for requests to a
// function's URL (trigger http): the client's request goes to the function
// as is and the answer streams back, over the Invoker's pooled upstream
// connections (gateway_forward.go); a request that switches protocols goes
// through a ReverseProxy over the Invoker's Transport.
type gateway struct {
	iv     *Invoker
	logger *slog.Logger
	// proxy forwards the requests that switch protocols (WebSocket); the
	// others go over the Invoker's upstreams (gateway_forward.go).
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

// proxyState travels in the request context from serve to the proxy hooks.
type proxyState struct {
	lease   *lambda.Lease
	body    *payload // nil: no body
	path    string   // path for the instance
	rawPath string
	prefix  string          // stripped prefix, reported as X-Forwarded-Prefix
	caller  context.Context // the client's request's
	failed  bool            // the instance broke: the router checks it
	// retry allows one more attempt when the request could not be
	// delivered at all; undelivered says that happened.
	retry, undelivered bool
	// The outcome: the function's status and whether it reported an
	// error, or why there was no answer.
	status        int
	functionError bool
	err           error
	// rec is the invocation's record, kept in the state so that observing
	// it costs no allocation.
	rec lambda.Invocation
	// traceparent holds the forwarded traceparent header's value when the
	// client sent none, so that setting it costs no allocation.
	traceparent [1]string
}

type stateKey struct{}

func newGateway(iv *Invoker, limits clientLimits) *gateway {
	g := &gateway{iv: iv, logger: iv.logger, limits: limits}
	g.proxy = &httputil.ReverseProxy{
		Rewrite:   g.rewrite,
		Transport: iv.transport,
		// 0, not -1: ReverseProxy still flushes streams (no
		// Content-Length, or text/event-stream) at once, while a response
		// of known length goes out in one write with its headers. With -1
		// every response also started a timer goroutine that flushed the
		// headers alone: two writes, two wake-ups of the client.
		FlushInterval:  0,
		BufferPool:     newBufferPool(),
		ErrorHandler:   g.proxyError,
		ModifyResponse: g.modifyResponse,
		ErrorLog:       slog.NewLogLogger(iv.logger.Handler(), slog.LevelDebug),
	}
	return g
}

// serve forwards r to an instance of function name: it reads the body,
// takes an instance, and sends the request once more to another instance
// when the first could not be reached at all. prefix is the part of the
// path that named the function (/fn/NAME), stripped before forwarding.
func (g *gateway) serve(w http.ResponseWriter, r *http.Request, name, prefix string) {
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
	st := &proxyState{body: body, prefix: prefix, caller: r.Context(), retry: true}
	st.rec = lambda.Invocation{ID: lambda.NewRequestID(), Function: name, Trigger: lambda.TriggerHTTP, Start: time.Now(), Attempt: 1}
	// The function gets the platform's span as its parent, whatever the
	// client sent (http/trace.go).
	parent, state := traceOf(r.Header)
	setTraceHeaders(r.Header, startTrace(parent, &st.rec), state, &st.traceparent)
	ctx, consumed := lambda.WithInvocation(r.Context(), &st.rec), false
	if g.authorizer != nil {
		ctx = lambda.WithInvokeAuth(ctx, g.authorizer(r, &consumed))
	}
	if st.lease, err = g.iv.acquire(ctx, name); err != nil {
		switch {
		case isCanceled(err):
			w.WriteHeader(499) // nobody is left to read it
		case lambda.ErrorCode(err) == lambda.EUNAUTHORIZED:
			w.Header().Set("WWW-Authenticate", `Bearer realm="lambda"`)
			fallthrough
		default:
			writeError(w, r, g.logger, err)
		}
		if observed(err) {
			st.err = err
			g.observe(st)
		}
		return
	}
	if consumed || keyFrom(r.Context()) != nil {
		// The key was for the platform: the function never sees it.
		r.Header.Del("Authorization")
	}
	st.path, st.rawPath = stripPrefix(r, prefix)
	st.rec.Version, st.rec.Cold, st.rec.QueueWait = st.lease.Version, st.lease.Cold, st.lease.Wait
	st.rec.InitDuration = initDuration(st.lease)
	leaseRecord(&st.rec, st.lease)
	defer g.end(st) // runs after the unbind below: once the answer is out
	unbind := g.bindWrite(w, st.lease.Timeout)
	defer unbind()
	g.forward(w, r, st)
	if !st.undelivered {
		return
	}
	// Nothing reached the instance: it is gone (its exit not yet seen by
	// the pool). It leaves the pool, and the request goes to another.
	g.logger.Warn("instance unreachable; retrying on another", "function", st.lease.Function, "version", st.lease.Version, "addr", st.lease.Addr)
	st.lease.Release(true)
	if st.lease, err = g.iv.acquire(ctx, name); err != nil {
		st.lease = &lambda.Lease{} // already released; nothing left to release
		st.err = err
		writeError(w, r, g.logger, err)
		return
	}
	st.retry, st.undelivered, st.failed = false, false, false
	st.rec.Version, st.rec.Cold, st.rec.QueueWait = st.lease.Version, st.lease.Cold, st.rec.QueueWait+st.lease.Wait
	st.rec.InitDuration = initDuration(st.lease)
	leaseRecord(&st.rec, st.lease)
	g.bindWrite(w, st.lease.Timeout) // the deferred unbind clears it
	g.forward(w, r, st)
}

// errBrokeOff is the outcome of an answer that broke off after its
// headers went out: ReverseProxy then aborts the handler with a panic.
var errBrokeOff = lambda.Errorf(lambda.EFUNCTION, "the function's answer broke off")

// end releases the lease and observes the invocation, also when the proxy
// aborts the handler because the answer broke off (the panic goes on, for
// net/http to drop the connection).
func (g *gateway) end(st *proxyState) {
	p := recover()
	if p != nil && st.err == nil {
		st.err = errBrokeOff
		if st.caller.Err() != nil {
			st.err = errCanceled
		}
	}
	st.lease.Release(st.failed)
	g.observe(st)
	if p != nil {
		panic(p)
	}
}

// observe hands the invocation's record to the observers, if any.
func (g *gateway) observe(st *proxyState) {
	if len(g.iv.Observers) == 0 {
		return
	}
	endRecord(&st.rec, st.status, st.functionError, st.err)
	g.iv.observe(&st.rec)
}

// forward sends r to st.lease's instance and copies the answer to w.
func (g *gateway) forward(w http.ResponseWriter, r *http.Request, st *proxyState) {
	// The function's deadline goes to the shim, which answers 504 itself
	// (with the function's logs) and recycles the instance; the proxy
	// gives it a moment more before it gives up on its own.
	deadline := time.Now().Add(st.lease.Timeout)
	st.rec.Timeout = st.lease.Timeout
	setPlatformHeaders(r.Header, st.rec.ID, false, false, deadline)
	if !isUpgrade(r) {
		g.forwardDirect(w, r, st, deadline)
		return
	}
	ctx, cancel := context.WithDeadline(r.Context(), deadline.Add(timeoutSlack))
	defer cancel()
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
// request on the connection starts unbounded.
func (g *gateway) bindWrite(w http.ResponseWriter, timeout time.Duration) (unbind func()) {
	return writeDeadline(w, timeout+timeoutSlack+g.limits.responseWrite, g.limits.responseWrite > 0)
}

// writeDeadline sets a write deadline d from now on w's connection, when
// on and the connection has one, and returns the func that flushes and
// clears it.
func writeDeadline(w http.ResponseWriter, d time.Duration, on bool) (clear func()) {
	if !on {
		return func() {}
	}
	rc := http.NewResponseController(w)
	if rc.SetWriteDeadline(time.Now().Add(d)) != nil {
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
	g.answered(st, resp.Header, resp.StatusCode)
	return nil
}

// answered reads the shim's word on the answer's headers h, strips what
// is the platform's, and adds the platform's headers.
func (g *gateway) answered(st *proxyState, h http.Header, status int) {
	// Only the platform may mark an answer as its own error.
	h.Del(ErrorHeader)
	if g.iv.instanceFailed(h, st.lease) {
		st.failed = true
	}
	st.rec.MaxMemoryUsedMB = maxMemoryUsed(h, st.lease)
	st.rec.RuntimeExit = runtimeExit(h, st.lease)
	st.status, st.functionError = status, h.Get(HeaderFunctionError) != ""
	h.Set("X-Lambda-Version", strconv.Itoa(st.lease.Version))
	h.Set("X-Lambda-Cold-Start", strconv.FormatBool(st.lease.Cold))
	// Time spent getting an instance (queue wait and cold start), for
	// browsers' dev tools and the metrics to come.
	h.Set("Server-Timing", "lambda-wait;dur="+strconv.FormatFloat(float64(st.lease.Wait.Microseconds())/1000, 'f', 3, 64))
}

// proxyError tells the caller why the function gave no response: its own
// failure (502/504) is reported, not logged as a platform error.
func (g *gateway) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	st := r.Context().Value(stateKey{}).(*proxyState)
	if st.retry && undelivered(err) && r.Context().Err() == nil {
		st.undelivered = true // serve tries another instance; nothing is written
		return
	}
	st.err, st.failed = g.iv.noAnswer(r.Context(), st.caller, st.lease, st.lease.Timeout, err, &st.rec)
	if isCanceled(st.err) {
		w.WriteHeader(499) // nobody is left to read it
		return
	}
	writeError(w, r, g.logger, st.err)
}

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
