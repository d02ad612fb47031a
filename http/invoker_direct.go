package http

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
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

// send delivers the event to lease's instance and reads its answer.
func (iv *Invoker) send(ctx context.Context, lease *lambda.Lease, req *lambda.InvokeRequest, rec *lambda.Invocation) (res *lambda.InvokeResult, failed bool, err error) {
	timeout := callTimeout(lease, req.Timeout)
	// The function's deadline goes to the shim, which answers 504 itself
	// (with the function's logs) and recycles the instance; the invoker
	// gives it a moment more before it gives up on its own.
	deadline := time.Now().Add(timeout)
	rec.Timeout = timeout
	callCtx, cancel := context.WithDeadline(ctx, deadline.Add(timeoutSlack))
	defer cancel()
	out, err := http.NewRequestWithContext(callCtx, http.MethodPost, "http://"+lease.Addr+"/", bytes.NewReader(req.Payload))
	if err != nil {
		return nil, false, lambda.Errorf(lambda.EINTERNAL, "build the request to function %q: %w", lease.Function, err)
	}
	out.Header = http.Header{"Content-Type": {"application/json"}}
	setTraceHeaders(out.Header, req.Trace.String(), req.TraceState, nil)
	setPlatformHeaders(out.Header, rec.ID, true, req.LogTail, deadline)
	resp, err := iv.transport.RoundTrip(out)
	if err != nil {
		if undelivered(err) && ctx.Err() == nil {
			return nil, true, fmt.Errorf("%w: %w", errUndelivered, err)
		}
		err, failed = iv.noAnswer(callCtx, ctx, lease, timeout, err, rec)
		return nil, failed, err
	}
	defer resp.Body.Close()
	failed = iv.instanceFailed(resp.Header, lease)
	rec.MaxMemoryUsedMB = maxMemoryUsed(resp.Header, lease)
	rec.RuntimeExit = runtimeExit(resp.Header, lease)
	body, err := readAnswer(resp.Body)
	switch {
	case errors.Is(err, errAnswerTooLarge):
		return nil, failed, lambda.Errorf(lambda.EFUNCTION, "function %q answered more than %d bytes, the limit of a synchronous invocation's response: return less, or store the result elsewhere and return where", lease.Function, lambda.MaxPayloadBytes)
	case err != nil:
		// The answer broke off: the instance is suspect, as when it
		// breaks the connection before answering.
		err, brokeOff := iv.noAnswer(callCtx, ctx, lease, timeout, err, rec)
		return nil, failed || brokeOff, err
	}
	res = &lambda.InvokeResult{StatusCode: resp.StatusCode, Payload: body, FunctionError: resp.Header.Get(HeaderFunctionError)}
	if req.LogTail {
		res.LogTail, _ = base64.StdEncoding.DecodeString(resp.Header.Get(HeaderLogResult))
	}
	res.Header = functionHeaders(resp.Header)
	return res, failed, nil
}

var errAnswerTooLarge = errors.New("the answer is over the limit")

// readAnswer reads a function's answer, at most lambda.MaxPayloadBytes.
func readAnswer(body io.Reader) ([]byte, error) {
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
