package http

import (
	"net/http"
	"strings"

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

// traceOf reads the caller's trace context from h: its traceparent, or,
// without one, AWS's X-Amzn-Trace-Id (what AWS SDKs send from inside a
// function, and load balancers add), so that a function calling another
// through the Lambda Invoke API keeps one trace. More than one
// traceparent makes none: which one is the caller's cannot be told.
// Several tracestate headers are one list, joined by commas.
func traceOf(h http.Header) (lambda.TraceContext, string) {
	tp := h[lambda.HeaderTraceParent]
	if len(tp) == 0 {
		if x := h[headerAmznTraceID]; len(x) == 1 {
			t, _ := xrayTrace(x[0])
			return t, ""
		}
	}
	if len(tp) != 1 {
		return lambda.TraceContext{}, ""
	}
	t, ok := lambda.ParseTraceParent(tp[0])
	if !ok {
		return lambda.TraceContext{}, ""
	}
	return t, traceState(h[lambda.HeaderTraceState])
}

const headerAmznTraceID = "X-Amzn-Trace-Id"

// xrayTrace reads an X-Ray trace header: fields separated by ';', of
// which Root=1-{8 hex}-{24 hex} is the trace ID, Parent={16 hex} the
// caller's span (absent: the trace alone) and Sampled=1 the flag. ok is
// false, and the context zero, without a valid Root.
func xrayTrace(v string) (t lambda.TraceContext, ok bool) {
	var root, parent, sampled string
	for len(v) > 0 && len(v) <= 256 {
		field := v
		if i := strings.IndexByte(v, ';'); i >= 0 {
			field, v = v[:i], v[i+1:]
		} else {
			v = ""
		}
		k, val, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch k {
		case "Root":
			root = val
		case "Parent":
			parent = val
		case "Sampled":
			sampled = val
		}
	}
	if len(root) != 35 || root[:2] != "1-" || root[10] != '-' {
		return lambda.TraceContext{}, false
	}
	flags := "00"
	if sampled == "1" {
		flags = "01"
	}
	noParent := parent == ""
	if noParent {
		parent = "0000000000000001" // parsed, then dropped
	}
	t, ok = lambda.ParseTraceParent("00-" + root[2:10] + root[11:] + "-" + parent + "-" + flags)
	if ok && noParent {
		t.ParentID = [8]byte{}
	}
	return t, ok
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
