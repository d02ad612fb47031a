package shim

import (
	"bytes"
	"context"
	"net/http"
	"time"
)

// serveHTTP is the aws and handler protocols' answer to a request from the
// platform: make the event, wait for the process, map its result.
func (s *runtimeServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	inv, ok := readInvocation(w, r, s.cfg.timeout)
	if !ok {
		return
	}
	body := getBuffer()
	defer putBuffer(body)
	if status, msg := readRequestBody(r, body); status != 0 {
		w.Header().Set(hdrRequestID, inv.id)
		writeErrorDoc(w, status, requestErrorType(status), msg)
		return
	}
	inv.bodyLen = body.Len()
	inv.event = getBuffer()
	if err := s.buildEvent(inv.event, r, body.Bytes(), inv); err != nil {
		putBuffer(inv.event)
		w.Header().Set(hdrRequestID, inv.id)
		writeErrorDoc(w, http.StatusBadRequest, "InvalidRequestContentException", err.Error())
		return
	}
	if !s.q.push(inv) {
		putBuffer(inv.event)
		if failed := s.failed.Load(); failed != nil {
			w.Header().Set(hdrInstanceFailed, *failed)
		}
		writeErrorDoc(w, http.StatusServiceUnavailable, "ServiceUnavailable", "the function instance is stopping: retry the request")
		return
	}
	res, ok := s.wait(r.Context(), inv)
	if !ok {
		return // the caller went away; the result, if any, is dropped
	}
	if res.kind == resError || res.kind == resFailure && res.instanceFailed == "" {
		s.settle(r.Context(), inv, &res)
	}
	if problem := answer(w, inv, res, s.aws); problem != "" {
		s.logf("invocation %s: %s", inv.id, problem)
	}
	putBuffer(res.body)
}

// buildEvent writes inv's event for /next into ev.
func (s *runtimeServer) buildEvent(ev *bytes.Buffer, r *http.Request, body []byte, inv *invocation) error {
	ev.Grow(len(body) + len(body)/3 + 1024)
	b := ev.AvailableBuffer()
	var err error
	switch {
	case !s.aws:
		b, err = appendEnvelope(b, r, body, inv, &s.cfg.fn)
	case inv.raw:
		b, err = appendRawEvent(b, body)
	default:
		b = appendFunctionURLEvent(b, r, body, inv, &s.cfg.fn)
	}
	ev.Write(b)
	return err
}

// wait waits for inv's result until its deadline. A request still waiting
// for the process at its deadline times out without reaching it; a running
// one is timed out by the queue, which also stops the process.
func (s *runtimeServer) wait(ctx context.Context, inv *invocation) (result, bool) {
	t := time.NewTimer(time.Until(inv.deadline))
	defer t.Stop()
	select {
	case res := <-inv.done:
		return res, true
	case <-t.C:
		if s.q.remove(inv) {
			putBuffer(inv.event)
			return result{kind: resTimeout}, true
		}
		return <-inv.done, true
	case <-ctx.Done():
		if s.q.remove(inv) {
			putBuffer(inv.event)
		}
		return result{}, false
	}
}

// settle holds the answer to a failed invocation until the function
// process asks for its next event or exits, so that the answer says when
// the failure took the process down: aws-lambda-go posts a panic to /error
// and exits right after, and without the header the gateway would hand
// the next request to a dead instance. Runtimes that survive their errors
// ask for the next event within a loopback round trip; the wait is bounded
// in case one does neither.
func (s *runtimeServer) settle(ctx context.Context, inv *invocation, res *result) {
	t := time.NewTimer(settleTimeout)
	defer t.Stop()
	select {
	case <-s.q.afterPoll(inv):
	case <-s.proc.done:
		res.instanceFailed, res.exit = s.proc.failure(), s.proc.exit()
	case <-t.C:
	case <-ctx.Done():
	}
}

// readInvocation reads the control headers, answering 400 when they are
// wrong.
func readInvocation(w http.ResponseWriter, r *http.Request, timeout time.Duration) (*invocation, bool) {
	inv, err := newInvocation(r, time.Now(), timeout)
	if err != nil {
		writeErrorDoc(w, http.StatusBadRequest, "InvalidRequestContentException", err.Error())
		return nil, false
	}
	return inv, true
}

// readRequestBody reads r's body into body; a status and message say
// why it cannot be used.
func readRequestBody(r *http.Request, body *bytes.Buffer) (int, string) {
	err := readBody(body, r.Body, r.ContentLength)
	switch {
	case isTooLarge(err):
		return http.StatusRequestEntityTooLarge, "the request body is over the 6 MB limit"
	case err != nil:
		return http.StatusBadRequest, "cannot read the request body: " + err.Error()
	}
	return 0, ""
}

func requestErrorType(status int) string {
	if status == http.StatusRequestEntityTooLarge {
		return "RequestTooLargeException"
	}
	return "InvalidRequestContentException"
}
