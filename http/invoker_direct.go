package http

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/lambdahq/lambda"
)

// allowInvoke authorizes every direct invocation of a private function:
// the route that accepted the call (or, for async and cron, the
// submission) has checked the caller already.
func allowInvoke(context.Context, string) error { return nil }

// Invoke runs a direct invocation: req.Payload is the event and the
// function's answer comes back whole, up to lambda.MaxPayloadBytes. The
// observers receive its record before Invoke returns: the caller's answer
// is made from the result, so the invocation has ended.
func (iv *Invoker) Invoke(ctx context.Context, req *lambda.InvokeRequest) (*lambda.InvokeResult, error) {
	if err := checkInvokeRequest(req); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(req.Payload)) == 0 {
		// No event is the event {}, as on Lambda, whatever path the call
		// took: the function, and an idempotency key's payload hash, see
		// what an asynchronous invocation without an event would.
		r := *req
		r.Payload = emptyEvent
		req = &r
	}
	if req.IdempotencyKey != "" {
		return iv.invokeIdempotent(ctx, req)
	}
	res, _, _, err := iv.invoke(ctx, req, nil)
	return res, err
}

// emptyEvent is the event of a direct invocation sent without one.
var emptyEvent = []byte("{}")

// checkInvokeRequest refuses what no function could be invoked with.
func checkInvokeRequest(req *lambda.InvokeRequest) error {
	switch {
	case req == nil:
		return lambda.Errorf(lambda.EINVALID, "no invocation request")
	case req.Timeout < 0:
		return lambda.Errorf(lambda.EINVALID, "timeout %s is negative: give a positive duration, e.g. 10s, or none for the function's own", req.Timeout)
	case len(req.Payload) > lambda.MaxPayloadBytes:
		return lambda.Errorf(lambda.ETOOLARGE, "the payload is %d bytes, over the limit of %d for a synchronous invocation", len(req.Payload), lambda.MaxPayloadBytes)
	}
	if err := lambda.ValidateName(req.Function); err != nil {
		return err
	}
	if err := lambda.ValidateIdempotencyKey(req.IdempotencyKey); err != nil {
		return err
	}
	if !validHeaderString(req.ClientContext) {
		return lambda.Errorf(lambda.EINVALID, "the client context holds control characters: it must be compact JSON to travel in a header")
	}
	_, err := lambda.ParseQualifier(req.Qualifier)
	return err
}

// invoke runs req once and observes it; rec is its record. ran reports that the request
// reached the function: when it did not (no capacity, the platform
// failed), nothing happened that a retry could repeat.
//
// bind, when set, is called with each lease taken, before the event is
// sent to it; if it fails, the event is not sent. Once it has succeeded,
// the call no longer ends when ctx does: the event is on its way, and
// the function's outcome, bounded by its deadline, is worth more than the
// goroutine (an idempotency key replays it).
func (iv *Invoker) invoke(ctx context.Context, req *lambda.InvokeRequest, bind func(context.Context, *lambda.Lease) error) (res *lambda.InvokeResult, rec *lambda.Invocation, ran bool, err error) {
	rec = &lambda.Invocation{
		ID: req.RequestID, Function: req.Function, Trigger: req.Trigger,
		Start: time.Now(), QueueWait: req.QueueWait, Attempt: max(req.Attempt, 1),
	}
	if rec.ID == "" {
		rec.ID = lambda.NewRequestID()
	}
	if rec.Trigger == "" {
		rec.Trigger = lambda.TriggerInvoke
	}
	// From here req.Trace is the platform's span, the function's parent.
	req = hopRequest(req, rec)
	res, ran, err = iv.direct(lambda.WithInvokeAuth(ctx, allowInvoke), req, rec, bind)
	status, fnErr := 0, false
	if res != nil {
		status, fnErr = res.StatusCode, res.FunctionError != ""
		res.Invocation = rec
	}
	endRecord(rec, status, fnErr, err)
	if res != nil && req.LogTail {
		// As on Lambda: START, the output's end, END and REPORT, even when
		// the function printed nothing.
		res.LogTail = lambda.LogTailWithReport(rec, res.LogTail)
	}
	if err == nil || observed(err) {
		iv.observe(rec)
	}
	return res, rec, ran, err
}

// direct takes a lease and sends the event, once more to another instance
// when the first could not be reached at all.
func (iv *Invoker) direct(ctx context.Context, req *lambda.InvokeRequest, rec *lambda.Invocation, bind func(context.Context, *lambda.Lease) error) (*lambda.InvokeResult, bool, error) {
	ctx = lambda.WithInvocation(ctx, rec) // its instance's output is attributed to it
	// The router sends the call to the version or alias it names.
	ctx = lambda.WithQualifier(ctx, req.Qualifier)
	lease, err := iv.acquire(ctx, req.Function)
	if err != nil {
		return nil, false, err
	}
	rec.QueueWait += lease.Wait
	rec.Version, rec.Cold, rec.InitDuration = lease.Version, lease.Cold, initDuration(lease)
	leaseRecord(rec, lease)
	sendCtx := ctx
	if bind != nil {
		if err := bind(ctx, lease); err != nil {
			lease.Release(false)
			return nil, false, err
		}
		sendCtx = context.WithoutCancel(ctx)
	}
	for retry := true; ; retry = false {
		res, failed, err := iv.send(sendCtx, lease, req, rec)
		if retry && errors.Is(err, errUndelivered) && sendCtx.Err() == nil {
			// Nothing reached the instance: it is gone (its exit not yet
			// seen by the pool). It leaves the pool; another gets the event.
			iv.logger.Warn("instance unreachable; retrying on another", "function", lease.Function, "version", lease.Version, "addr", lease.Addr)
			lease.Release(true)
			if lease, err = iv.acquire(ctx, req.Function); err != nil {
				return nil, false, err
			}
			rec.QueueWait += lease.Wait
			rec.Version, rec.Cold, rec.InitDuration = lease.Version, lease.Cold, initDuration(lease)
			leaseRecord(rec, lease)
			if bind != nil {
				if err := bind(ctx, lease); err != nil {
					lease.Release(false)
					return nil, false, err
				}
			}
			continue
		}
		lease.Release(failed)
		if errors.Is(err, errUndelivered) {
			iv.logger.Warn("function failed", "function", lease.Function, "version", lease.Version, "err", err)
			return nil, false, lambda.Errorf(lambda.EFUNCTION, "function %q failed to answer: %v", req.Function, err)
		}
		return res, true, err
	}
}

// errUndelivered marks a request no byte of which reached the instance.
var errUndelivered = errors.New("the instance could not be reached")

// send delivers the event to lease's instance and reads its answer, over
// the upstream connections the gateway forwards on (upstream_exchange.go).
func (iv *Invoker) send(ctx context.Context, lease *lambda.Lease, req *lambda.InvokeRequest, rec *lambda.Invocation) (res *lambda.InvokeResult, failed bool, err error) {
	timeout := callTimeout(lease, req.Timeout)
	// The function's deadline goes to the shim, which answers 504 itself
	// (with the function's logs) and recycles the instance; the invoker
	// gives it a moment more before it gives up on its own.
	deadline := time.Now().Add(timeout)
	rec.Timeout = timeout
	traceState := req.TraceState
	if !validHeaderString(traceState) {
		traceState = "" // as a tracestate too long is dropped, not cut
	}
	if !validHeaderString(rec.ID) {
		return nil, false, lambda.Errorf(lambda.EINVALID, "request ID %q is not a valid header value", rec.ID)
	}
	head := requestBufs.Get().(*[]byte)
	*head = appendInvokeRequest((*head)[:0], lease.Addr, req.Trace.String(), traceState, rec.ID, req.ClientContext, req.LogTail, deadline, len(req.Payload))
	resp, c, err := iv.upstreams.roundTrip(ctx, lease.Addr, invokeRequest, *head, req.Payload, deadline)
	requestBufs.Put(head)
	if err != nil {
		if undelivered(err) && ctx.Err() == nil {
			return nil, true, fmt.Errorf("%w: %w", errUndelivered, err)
		}
		err, failed = iv.noAnswerDirect(ctx, lease, timeout, deadline, err, rec)
		return nil, failed, err
	}
	failed = iv.instanceFailed(resp.Header, lease)
	rec.MaxMemoryUsedMB = maxMemoryUsed(resp.Header, lease)
	rec.RuntimeExit = runtimeExit(resp.Header, lease)
	var body []byte
	if resp.ContentLength > lambda.MaxPayloadBytes {
		err = errAnswerTooLarge // not worth reading
	} else {
		stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
		body, err = readAnswer(resp.Body, resp.ContentLength)
		stop()
	}
	if err != nil || !c.finishWrite() || resp.Close {
		c.Close()
		c.finishWrite()
	} else {
		iv.upstreams.put(c)
	}
	switch {
	case errors.Is(err, errAnswerTooLarge):
		return nil, failed, lambda.Errorf(lambda.EFUNCTION, "function %q answered more than %d bytes, the limit of a synchronous invocation's response: return less, or store the result elsewhere and return where", lease.Function, lambda.MaxPayloadBytes)
	case err != nil:
		// The answer broke off: the instance is suspect, as when it
		// breaks the connection before answering.
		err, brokeOff := iv.noAnswerDirect(ctx, lease, timeout, deadline, err, rec)
		return nil, failed || brokeOff, err
	}
	res = &lambda.InvokeResult{StatusCode: resp.StatusCode, Payload: body, FunctionError: resp.Header.Get(HeaderFunctionError)}
	if req.LogTail {
		res.LogTail, _ = base64.StdEncoding.DecodeString(resp.Header.Get(HeaderLogResult))
	}
	res.Header = functionHeaders(resp.Header)
	return res, failed, nil
}

// noAnswerDirect is noAnswer for a direct invocation: the call's
// context, which tells a timeout by its deadline, is made once the
// exchange failed (it ends at once when the deadline has passed).
func (iv *Invoker) noAnswerDirect(caller context.Context, lease *lambda.Lease, timeout time.Duration, deadline time.Time, err error, rec *lambda.Invocation) (error, bool) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(timeoutSlack))
	defer cancel()
	return iv.noAnswer(ctx, caller, lease, timeout, err, rec)
}

// invokeRequest is the request every direct invocation's answer is read
// for: only its method matters to http.ReadResponse.
var invokeRequest = &http.Request{Method: http.MethodPost}

// appendInvokeRequest appends the head of a direct invocation's request
// to b, the headers the Transport sent before (but its User-Agent): the
// event as the JSON body, the trace context and the platform's headers
// (setPlatformHeaders says which), and the client context when there is
// one.
func appendInvokeRequest(b []byte, addr, traceParent, traceState, requestID, clientContext string, logTail bool, deadline time.Time, length int) []byte {
	b = append(b, "POST / HTTP/1.1\r\nHost: "...)
	b = append(b, addr...)
	b = append(b, "\r\nContent-Type: application/json\r\n"...)
	b = appendHeader(b, lambda.HeaderTraceParent, traceParent)
	if traceState != "" {
		b = appendHeader(b, lambda.HeaderTraceState, traceState)
	}
	b = append(b, HeaderInvokeMode+": raw\r\n"...)
	if logTail {
		b = append(b, HeaderLogType+": Tail\r\n"...)
	}
	b = appendHeader(b, HeaderRequestID, requestID)
	if clientContext != "" {
		b = appendHeader(b, HeaderClientContext, clientContext)
	}
	b = append(b, HeaderDeadline+": "...)
	b = strconv.AppendInt(b, deadline.UnixMilli(), 10)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(length), 10)
	return append(b, "\r\n\r\n"...)
}

// validHeaderString reports whether v may go into a header as is: no
// control character but the tab, which could end the line or the head.
func validHeaderString(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

var errAnswerTooLarge = errors.New("the answer is over the limit")

// readAnswer reads a function's answer, at most lambda.MaxPayloadBytes;
// length is its Content-Length, or -1 when it has none.
func readAnswer(body io.Reader, length int64) ([]byte, error) {
	if length >= 0 && length <= lambda.MaxPayloadBytes {
		// One allocation of the right size, where io.ReadAll grows its
		// buffer from 512 bytes.
		b := make([]byte, length)
		if _, err := io.ReadFull(body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	b, err := io.ReadAll(io.LimitReader(body, lambda.MaxPayloadBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > lambda.MaxPayloadBytes {
		return nil, errAnswerTooLarge
	}
	return b, nil
}

// functionHeaders returns the headers of a function's answer that are the
// function's own: not the platform's, nor those of the connection.
func functionHeaders(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, v := range h {
		switch k {
		case ErrorHeader, HeaderFunctionError, HeaderLogResult, HeaderInstanceFailed, HeaderRequestID, HeaderMaxMemoryUsed, HeaderRuntimeExit,
			"Content-Length", "Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
			continue
		}
		out[k] = v
	}
	return out
}
