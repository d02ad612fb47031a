package async

import (
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// A job's attempts continue the submitter's trace as children of the
// submission's span, or, without one (or when the store lost it), share
// the trace named after the job's ID.
func TestJobTrace(t *testing.T) {
	caller, _ := lambda.ParseTraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	id := lambda.NewRequestID()
	byID := strings.ReplaceAll(id, "-", "")

	tp := submissionTrace(&lambda.InvokeRequest{Trace: caller})
	sub, ok := lambda.ParseTraceParent(tp)
	if !ok || sub.TraceID != caller.TraceID || sub.ParentID == caller.ParentID {
		t.Fatalf("submission span %q: want the caller's trace with a span of its own", tp)
	}
	if got := attemptTrace(&lambda.Job{ID: id, TraceParent: tp}); got != sub {
		t.Errorf("attempt trace %v, want the submission's span %v", got, sub)
	}

	if tp := submissionTrace(&lambda.InvokeRequest{}); tp != "" {
		t.Errorf("a submission without a trace kept %q", tp)
	}
	for _, j := range []*lambda.Job{{ID: id}, {ID: id, TraceParent: "garbage"}} {
		if got := attemptTrace(j); got.TraceIDString() != byID || got.ParentID != [8]byte{} {
			t.Errorf("attempt of %+v: trace %s, want %s without a parent", j, got.TraceIDString(), byID)
		}
	}

	// A destination's job continues the trace of the job that sent it.
	derived := attemptTrace(&lambda.Job{ID: id})
	dest, ok := lambda.ParseTraceParent(submissionTrace(&lambda.InvokeRequest{Trace: derived}))
	if !ok || dest.TraceIDString() != byID {
		t.Errorf("destination submission %v, want a span of trace %s", dest, byID)
	}
}

func TestAttemptTraceID(t *testing.T) {
	sent := attemptTrace(&lambda.Job{ID: lambda.NewRequestID()})
	req := &lambda.InvokeRequest{Trace: sent}
	ran := &lambda.InvokeResult{Invocation: &lambda.Invocation{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}}
	for _, tc := range []struct {
		name string
		req  *lambda.InvokeRequest
		res  *lambda.InvokeResult
		want string
	}{
		{"answered", req, ran, "4bf92f3577b34da6a3ce929d0e0e4736"},
		{"no answer", req, nil, sent.TraceIDString()},
		{"no trace", &lambda.InvokeRequest{}, nil, ""},
	} {
		if got := attemptTraceID(tc.req, tc.res); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
