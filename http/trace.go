package http

import (
	"net/http"

	"github.com/lambdahq/lambda"
)

// W3C Trace Context through the platform (docs/api.md, "Trace context").
// The platform is a hop that participates: every invocation, whatever
// its trigger, forwards to the function a traceparent of its own span,
// a child of the caller's when the caller sent a valid one, else the root
// of a new trace. A traceparent that is not valid is never forwarded, nor
// is a tracestate without a valid traceparent, as level 1 asks.

// MaxTraceStateLen bounds the tracestate forwarded: level 1 asks a vendor
// to carry at least 512 characters; past this, the header is dropped
// rather than cut, since a cut list member would be garbage.
const MaxTraceStateLen = 8 << 10

// traceOf reads the caller's trace context from h. More than one
// traceparent makes none: which one is the caller's cannot be told.
// Several tracestate headers are one list, joined by commas.
func traceOf(h http.Header) (lambda.TraceContext, string) {
	tp := h[lambda.HeaderTraceParent]
	if len(tp) != 1 {
		return lambda.TraceContext{}, ""
	}
	t, ok := lambda.ParseTraceParent(tp[0])
	if !ok {
		return lambda.TraceContext{}, ""
	}
	return t, traceState(h[lambda.HeaderTraceState])
}

// traceState joins tracestate headers into one value, "" past
// MaxTraceStateLen.
func traceState(vs []string) string {
	switch len(vs) {
	case 0:
		return ""
	case 1:
		if len(vs[0]) > MaxTraceStateLen {
			return ""
		}
		return vs[0]
	}
	n := 0
	for _, v := range vs {
		n += len(v) + 1
	}
	if n > MaxTraceStateLen {
		return ""
	}
	b := make([]byte, 0, n)
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, v...)
	}
	return string(b)
}

// startTrace makes the platform's span for an invocation of parent's
// trace (or of a new one), records its trace ID in rec and returns the
// traceparent to forward. The trace ID is a slice of that string: one
// allocation for both.
func startTrace(parent lambda.TraceContext, rec *lambda.Invocation) string {
	tp := parent.Child().String()
	rec.TraceID = tp[3:35]
	return tp
}

// setTraceHeaders replaces the trace headers of a request to a function
// with the platform's: traceparent tp and, when set, tracestate state.
// The slice of a single incoming traceparent is reused, else slot when
// given (memory of the request's own, which must outlive h's use).
func setTraceHeaders(h http.Header, tp, state string, slot *[1]string) {
	switch v := h[lambda.HeaderTraceParent]; {
	case len(v) == 1:
		v[0] = tp
	case slot != nil:
		slot[0] = tp
		h[lambda.HeaderTraceParent] = slot[:]
	default:
		h[lambda.HeaderTraceParent] = []string{tp}
	}
	switch v := h[lambda.HeaderTraceState]; {
	case state == "":
		delete(h, lambda.HeaderTraceState)
	case len(v) == 1:
		v[0] = state
	default:
		h[lambda.HeaderTraceState] = []string{state}
	}
}

// HeaderTraceID, on the answer of POST /v1/functions/{name}/invoke,
// names the trace the invocation ran under: the CLI shows it.
const HeaderTraceID = "X-Lambda-Trace-Id"

// hopRequest returns a copy of req whose Trace is the platform's span for
// the direct invocation rec, a child of the caller's (req.Trace), and
// records its trace ID in rec. A tracestate goes with a caller's valid
// context only.
func hopRequest(req *lambda.InvokeRequest, rec *lambda.Invocation) *lambda.InvokeRequest {
	hop := *req
	if !req.Trace.Valid() {
		hop.TraceState = ""
	}
	hop.Trace = req.Trace.Child()
	rec.TraceID = hop.Trace.TraceIDString()
	return &hop
}
