package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/lambdahq/lambda"
)

// Invoker is the one implementation of an invocation: it takes a lease on
// an instance from the Router, sends the request over the one shared pool
// of upstream connections (upstream.go) with the function's deadline, classifies what went wrong,
// releases the lease and hands the record of the invocation to the
// observers. It has two entry points over that core: Invoke, for direct
// invocations (lambda invoke, the Invoke API, cron, async workers; the
// payload is the event and the answer is buffered), and the gateway's
// streamed path for function URLs (gateway.go).
type Invoker struct {
	// Observers receive every finished invocation; set them before the
	// first invocation. An empty list costs nothing per request.
	Observers lambda.Observers
	// Jobs, when set, keeps synchronous invocations with an idempotency
	// key, so that a repeated call replays the first one's result;
	// without it such calls are refused (ENOTIMPLEMENTED).
	Jobs lambda.JobStore

	router lambda.Router
	logger *slog.Logger
	// upstreams are the connections to instances that both entry points
	// exchange over; transport serves only the gateway's requests that
	// switch protocols (WebSocket), which net/http's ReverseProxy handles.
	upstreams *upstreams
	transport *http.Transport
}

var _ lambda.Invoker = (*Invoker)(nil)

// NewInvoker returns an Invoker leasing instances from router.
func NewInvoker(router lambda.Router, logger *slog.Logger) *Invoker {
	if logger == nil {
		logger = slog.Default()
	}
	return &Invoker{router: router, logger: logger, upstreams: newUpstreams(), transport: newTransport()}
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

// Headers between the gateway and the in-container shim
// (docs/runtime-contract.md). Clients cannot set them: the gateway strips
// them from every incoming request.
const (
	HeaderInvokeMode = "X-Lambda-Invoke-Mode" // "raw": the body is the event
	HeaderRequestID  = "X-Lambda-Request-Id"
	HeaderDeadline   = "X-Lambda-Deadline-Ms"
	HeaderLogType    = "X-Lambda-Log-Type"   // "Tail": answer with HeaderLogResult
	HeaderLogResult  = "X-Lambda-Log-Result" // base64 of the invocation's last 4 KB of output
	// HeaderClientContext is the Invoke API's client context, decoded (a
	// JSON object, ASCII only): the shim's Runtime API passes it on as
	// Lambda-Runtime-Client-Context; an http function reads it as is.
	HeaderClientContext = "X-Lambda-Client-Context"
	// HeaderFunctionError marks a function's own failure ("Unhandled").
	HeaderFunctionError = "X-Lambda-Function-Error"
	// HeaderInstanceFailed is the shim's word that the function's process
	// died during the invocation (value: the reason). The invoker then
	// releases the instance as failed, so it leaves the pool at once
	// instead of being handed to the next request, and strips the header.
	HeaderInstanceFailed = "X-Lambda-Instance-Failed"
)

// timeoutSlack is how long past a function's deadline the invoker waits
// for the shim's own timeout answer, which carries the function's logs.
const timeoutSlack = 500 * time.Millisecond

// errorTypeCanceled is the ErrorType of an invocation whose caller went
// away (or gave up) before the function answered; its HTTPStatus is 499.
const errorTypeCanceled = "canceled"

// errCanceled is in the chain of the error of such an invocation, with the
// caller's context error: not the function's failure, nor the platform's.
var errCanceled = errors.New("the caller went away before the function answered")

// callTimeout is the function's timeout for one call: a per-call timeout
// shortens it, never lengthens it.
func callTimeout(lease *lambda.Lease, perCall time.Duration) time.Duration {
	if perCall > 0 && perCall < lease.Timeout {
		return perCall
	}
	return lease.Timeout
}

// acquire takes a lease on an instance of name. A caller that goes away
// while it waits for one ends the invocation as canceled, whatever the
// router says about the wait.
func (iv *Invoker) acquire(ctx context.Context, name string) (*lambda.Lease, error) {
	lease, err := iv.router.Acquire(ctx, name)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("function %q: %w (%w)", name, errCanceled, context.Cause(ctx))
	}
	return lease, err
}

// isCanceled reports that err is the caller's going away.
func isCanceled(err error) bool { return errors.Is(err, errCanceled) }

// noAnswer classifies why a function gave no (complete) answer. ctx is the
// call's, bounded by the function's deadline; caller is the context the
// call was made with. It returns the error for the caller and whether
// the instance is to be released as failed; an instance that broke the
// connection died, as far as the invocation can tell: rec says it crashed.
func (iv *Invoker) noAnswer(ctx, caller context.Context, lease *lambda.Lease, timeout time.Duration, err error, rec *lambda.Invocation) (out error, failed bool) {
	switch {
	case caller.Err() != nil:
		// The caller went away; the instance is fine and the function's
		// request was cancelled with it.
		return fmt.Errorf("function %q: %w (%w)", lease.Function, errCanceled, context.Cause(caller)), false
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		// A function stuck past its deadline is recycled, as Lambda does.
		return lambda.Errorf(lambda.ETIMEOUT, "function %q timed out after %s", lease.Function, timeout), true
	}
	iv.logger.Warn("function failed", "function", lease.Function, "version", lease.Version, "err", err)
	if rec.RuntimeExit == "" {
		rec.RuntimeExit = lambda.RuntimeExitUnknown
	}
	// Ask why before the lease is released: e.g. out of memory.
	if why := lease.Failure(caller); why != nil {
		return why, true
	}
	return lambda.Errorf(lambda.EFUNCTION, "function %q failed to answer: %v", lease.Function, err), true
}

// instanceFailed reports the shim's word that the instance cannot serve
// again, and strips it from h.
func (iv *Invoker) instanceFailed(h http.Header, lease *lambda.Lease) bool {
	reason := h.Get(HeaderInstanceFailed)
	if reason == "" {
		return false
	}
	h.Del(HeaderInstanceFailed)
	iv.logger.Warn("function process died during the invocation; replacing the instance", "function", lease.Function, "version", lease.Version, "reason", reason)
	return true
}

// undelivered reports that err happened before any byte of the request
// reached the instance: connecting to it failed.
func undelivered(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// observed reports whether a failure to take a lease makes an invocation
// worth observing: one of a function that does not exist is not, or
// anyone could fill the observers' tables with names.
func observed(err error) bool {
	code := lambda.ErrorCode(err)
	return code != lambda.ENOTFOUND && code != lambda.EINVALID
}

// endRecord fills in the outcome of rec: the status the caller got, and
// whether (and how) the function failed.
func endRecord(rec *lambda.Invocation, status int, functionError bool, err error) {
	rec.Duration = time.Since(rec.Start)
	rec.HTTPStatus, rec.Status, rec.ErrorType, rec.ThrottleReason = status, lambda.StatusSucceeded, "", ""
	switch {
	case isCanceled(err):
		rec.HTTPStatus, rec.Status, rec.ErrorType = 499, lambda.StatusFailed, errorTypeCanceled
	case err != nil:
		rec.HTTPStatus, rec.Status, rec.ErrorType = ErrorStatus(err), lambda.StatusFailed, lambda.ErrorCode(err)
		rec.ThrottleReason = lambda.ThrottleReasonOf(err)
	case status == http.StatusGatewayTimeout && functionError:
		// The shim's own answer at the deadline (runtime-contract.md).
		rec.Status, rec.ErrorType = lambda.StatusFailed, lambda.ETIMEOUT
	case functionError || status >= 500:
		rec.Status, rec.ErrorType = lambda.StatusFailed, lambda.EFUNCTION
	}
}

// initDuration is what a cold start cost the invocation holding lease.
func initDuration(lease *lambda.Lease) time.Duration {
	if lease.Cold {
		return lease.Wait
	}
	return 0
}

// observe hands a finished invocation to the observers.
func (iv *Invoker) observe(rec *lambda.Invocation) {
	if len(iv.Observers) > 0 {
		iv.Observers.ObserveInvocation(rec)
	}
}

// setPlatformHeaders replaces whatever platform headers a request carries
// with the invoker's own.
func setPlatformHeaders(h http.Header, requestID string, raw, logTail bool, deadline time.Time) {
	for _, k := range []string{HeaderInvokeMode, HeaderRequestID, HeaderDeadline, HeaderLogType, HeaderClientContext} {
		h.Del(k)
	}
	if raw {
		h.Set(HeaderInvokeMode, "raw")
	}
	if logTail {
		h.Set(HeaderLogType, "Tail")
	}
	h.Set(HeaderRequestID, requestID)
	h.Set(HeaderDeadline, strconv.FormatInt(deadline.UnixMilli(), 10))
}
