package http

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

const (
	callerTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerParent = "00f067aa0ba902b7"
	callerTP     = "00-" + callerTrace + "-" + callerParent + "-01"
)

func TestTraceOf(t *testing.T) {
	tests := []struct {
		name      string
		header    http.Header
		trace     string // "" : none
		wantState string
	}{
		{"none", http.Header{}, "", ""},
		{"valid", http.Header{"Traceparent": {callerTP}}, callerTrace, ""},
		{"valid with state", http.Header{"Traceparent": {callerTP}, "Tracestate": {"congo=t61rcWkgMzE"}}, callerTrace, "congo=t61rcWkgMzE"},
		{"states joined", http.Header{"Traceparent": {callerTP}, "Tracestate": {"a=1", "b=2"}}, callerTrace, "a=1,b=2"},
		{"state too long", http.Header{"Traceparent": {callerTP}, "Tracestate": {strings.Repeat("a", MaxTraceStateLen+1)}}, callerTrace, ""},
		{"states too long together", http.Header{"Traceparent": {callerTP}, "Tracestate": {strings.Repeat("a", MaxTraceStateLen/2), strings.Repeat("b", MaxTraceStateLen/2)}}, callerTrace, ""},
		{"invalid: its state goes too", http.Header{"Traceparent": {strings.ToUpper(callerTP)}, "Tracestate": {"a=1"}}, "", ""},
		{"two traceparents", http.Header{"Traceparent": {callerTP, callerTP}}, "", ""},
		{"X-Ray", http.Header{"X-Amzn-Trace-Id": {"Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=" + callerParent + ";Sampled=1"}}, callerTrace, ""},
		{"traceparent first", http.Header{"Traceparent": {callerTP}, "X-Amzn-Trace-Id": {"Root=1-5759e988-bd862e3fe1be46a994272793"}}, callerTrace, ""},
		{"invalid traceparent, no fallback", http.Header{"Traceparent": {"junk"}, "X-Amzn-Trace-Id": {"Root=1-5759e988-bd862e3fe1be46a994272793"}}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc, state := traceOf(tt.header)
			got := ""
			if tc.Valid() {
				got = tc.TraceIDString()
			}
			if got != tt.trace || state != tt.wantState {
				t.Errorf("traceOf = %q, %q; want %q, %q", got, state, tt.trace, tt.wantState)
			}
		})
	}
}

func TestXrayTrace(t *testing.T) {
	tests := []struct {
		in            string
		ok            bool
		parent, flags string // of the result's traceparent
	}{
		{"Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1", true, "00f067aa0ba902b7", "01"},
		{"Sampled=0; Root=1-4bf92f35-77b34da6a3ce929d0e0e4736 ;Lineage=a87bd80c:1", true, "", "00"},
		{"Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Self=1-67891234-12456789abcdef012345678", true, "", "00"},
		{"Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=zz;Sampled=1", false, "", ""},
		{"Root=2-4bf92f35-77b34da6a3ce929d0e0e4736", false, "", ""},
		{"Root=1-4BF92F35-77B34DA6A3CE929D0E0E4736", false, "", ""},
		{"Root=1-00000000-000000000000000000000000", false, "", ""},
		{"Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;" + strings.Repeat("x", 300), false, "", ""},
		{"", false, "", ""},
	}
	for _, tt := range tests {
		got, ok := xrayTrace(tt.in)
		if ok != tt.ok {
			t.Errorf("xrayTrace(%q) ok = %v", tt.in, ok)
			continue
		}
		if !ok {
			continue
		}
		if got.TraceIDString() != callerTrace {
			t.Errorf("xrayTrace(%q): trace %s", tt.in, got.TraceIDString())
		}
		parent := ""
		if got.ParentID != [8]byte{} {
			parent = lambda.TraceContext{TraceID: got.TraceID, ParentID: got.ParentID}.String()[36:52]
		}
		if parent != tt.parent || (got.Flags&lambda.TraceFlagSampled == 1) != (tt.flags == "01") {
			t.Errorf("xrayTrace(%q) = parent %q flags %d, want %q %s", tt.in, parent, got.Flags, tt.parent, tt.flags)
		}
	}
}

// FuzzTraceOf: trace headers are the client's. Whatever they hold, the
// context read is zero or one the function may be sent as a parent.
func FuzzTraceOf(f *testing.F) {
	f.Add(callerTP, "a=1", "")
	f.Add("", "", "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1")
	f.Add("", "", "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736")
	f.Fuzz(func(t *testing.T, tp, state, amzn string) {
		h := http.Header{}
		if tp != "" {
			h.Set("Traceparent", tp)
		}
		if state != "" {
			h.Set("Tracestate", state)
		}
		if amzn != "" {
			h.Set("X-Amzn-Trace-Id", amzn)
		}
		tc, st := traceOf(h)
		if tc != (lambda.TraceContext{}) && tc.TraceID == [16]byte{} {
			t.Fatalf("a context without a trace ID: %+v", tc)
		}
		if st != "" && (!tc.Valid() || len(st) > MaxTraceStateLen) {
			t.Fatalf("tracestate %q kept with %+v", st, tc)
		}
		var rec lambda.Invocation
		out := startTrace(tc, &rec)
		if got, ok := lambda.ParseTraceParent(out); !ok || got.TraceIDString() != rec.TraceID || (tc.TraceID != [16]byte{} && got.TraceID != tc.TraceID) {
			t.Fatalf("forwarded %q for %+v (record %q)", out, tc, rec.TraceID)
		}
	})
}

// checkForwarded checks the trace headers a function got: a valid
// traceparent of the caller's trace (or a new one when wantTrace is ""),
// whose parent is the platform's span, not the caller's, and the record's
// trace ID.
func checkForwarded(t *testing.T, h http.Header, rec lambda.Invocation, wantTrace, wantState string) {
	t.Helper()
	got := h.Values("Traceparent")
	if len(got) != 1 {
		t.Fatalf("the function got traceparent %q, want exactly one", got)
	}
	tc, ok := lambda.ParseTraceParent(got[0])
	if !ok {
		t.Fatalf("the function got an invalid traceparent %q", got[0])
	}
	switch {
	case wantTrace != "" && tc.TraceIDString() != wantTrace:
		t.Errorf("the function got trace %s, want the caller's %s", tc.TraceIDString(), wantTrace)
	case wantTrace == "" && tc.TraceIDString() == callerTrace:
		t.Errorf("the function got the invalid traceparent's trace")
	}
	if strings.Contains(got[0], callerParent) {
		t.Errorf("traceparent %q forwards the caller's span as the parent, not the platform's", got[0])
	}
	if rec.TraceID != tc.TraceIDString() {
		t.Errorf("record's trace ID %q, the function got %q", rec.TraceID, tc.TraceIDString())
	}
	if s := h.Get("Tracestate"); s != wantState {
		t.Errorf("the function got tracestate %q, want %q", s, wantState)
	}
}

// Every entry point forwards the caller's trace with the platform's span
// as the parent, starts a new one when the caller sent none or an invalid
// one, and records the trace ID.
func TestTracePropagation(t *testing.T) {
	f := newInvokerFixture(t, 10*time.Second)
	store := &fakeFunctionStore{fns: map[string]*lambda.Function{}, versions: map[string][]int{}}
	store.add("greet", 7, lambda.ProtocolAWS, 10*time.Second)
	f.s.Store = store // the Lambda Invoke API resolves the function first
	entries := []struct {
		name, host, method, path string
		trigger                  lambda.Trigger
	}{
		{"gateway", "greet.localhost", "GET", "/", lambda.TriggerHTTP},
		{"invoke API", "localhost", "POST", "/v1/functions/greet/invoke", lambda.TriggerInvoke},
		{"Lambda Invoke API", "localhost", "POST", "/2015-03-31/functions/greet/invocations", lambda.TriggerAPI},
	}
	callers := []struct {
		name                 string
		header               map[string]string
		wantTrace, wantState string
	}{
		{"valid", map[string]string{"Traceparent": callerTP, "Tracestate": "congo=t61rcWkgMzE"}, callerTrace, "congo=t61rcWkgMzE"},
		{"none", nil, "", ""},
		{"invalid", map[string]string{"Traceparent": "00-" + callerTrace + "-0000000000000000-01", "Tracestate": "congo=t61rcWkgMzE"}, "", ""},
	}
	for _, e := range entries {
		for _, c := range callers {
			t.Run(e.name+"/"+c.name, func(t *testing.T) {
				w := f.invokeHTTP(e.method, e.host, e.path, "{}", c.header)
				if w.Code != 200 {
					t.Fatalf("status %d %s", w.Code, w.Body)
				}
				recs := f.obs.take()
				if len(recs) != 1 || recs[0].Trigger != e.trigger {
					t.Fatalf("records %+v", recs)
				}
				calls := f.fn.seen()
				checkForwarded(t, calls[len(calls)-1].header, recs[0], c.wantTrace, c.wantState)
				if e.trigger == lambda.TriggerInvoke && w.Header().Get(HeaderTraceID) != recs[0].TraceID {
					t.Errorf("%s %q, the record's %q", HeaderTraceID, w.Header().Get(HeaderTraceID), recs[0].TraceID)
				}
			})
		}
	}
	t.Run("direct: an async job's trace without a parent", func(t *testing.T) {
		id := lambda.NewRequestID()
		trace, _ := lambda.TraceOfRequestID(id)
		res, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Trigger: lambda.TriggerAsync, RequestID: id, Trace: trace, TraceState: "dropped=1"})
		if err != nil {
			t.Fatal(err)
		}
		f.obs.take()
		calls := f.fn.seen()
		checkForwarded(t, calls[len(calls)-1].header, *res.Invocation, strings.ReplaceAll(id, "-", ""), "")
	})
}

// BenchmarkStartTrace: the platform's span for a gateway request costs
// one allocation (the header's value) and no system call, with or
// without the client's traceparent.
func BenchmarkStartTrace(b *testing.B) {
	for _, tc := range []struct {
		name string
		tp   []string
	}{{"caller's", []string{callerTP}}, {"new", nil}} {
		b.Run(tc.name, func(b *testing.B) {
			var rec lambda.Invocation
			var slot [1]string
			b.ReportAllocs()
			for b.Loop() {
				h := http.Header{"Accept": nil}
				if tc.tp != nil {
					h["Traceparent"] = tc.tp
				}
				parent, state := traceOf(h)
				setTraceHeaders(h, startTrace(parent, &rec), state, &slot)
			}
		})
	}
}
