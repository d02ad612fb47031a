package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

const (
	e2eTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	e2eParent = "00f067aa0ba902b7"
)

// traced sends GET path to function name with the given trace headers and
// returns the headers the function saw.
func (s *server) traced(t *testing.T, name, path string, header map[string]string) http.Header {
	t.Helper()
	req, err := http.NewRequest("GET", s.url(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = s.host(name)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var echo struct{ Headers http.Header }
	if resp.StatusCode != 200 || json.Unmarshal(body, &echo) != nil {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return echo.Headers
}

// forwardedTrace checks the traceparent a function got is one valid
// header of the platform's span and returns its trace ID.
func forwardedTrace(t *testing.T, h http.Header) string {
	t.Helper()
	tp := h.Values("Traceparent")
	if len(tp) != 1 {
		t.Fatalf("the function got traceparent %q, want one", tp)
	}
	tc, ok := lambda.ParseTraceParent(tp[0])
	if !ok || strings.Contains(tp[0], e2eParent) {
		t.Fatalf("the function got traceparent %q: want a valid one whose parent is the platform's span", tp[0])
	}
	return tc.TraceIDString()
}

// waitLines polls `lambda logs NAME -o json` until a line contains text.
func waitLines(t *testing.T, s *server, name, text string) []lambda.LogLine {
	t.Helper()
	var got []lambda.LogLine
	waitFor(t, 10*time.Second, func() bool {
		got = containing(s.logLines(t, name), text)
		return len(got) > 0
	})
	return got
}

// W3C trace context through the gateway: a caller's traceparent reaches
// the function as a child of the platform's span, its tracestate with
// it; none, or an invalid one, makes a new trace; the trace ID is in the
// invocation's record and on the function's log lines; and a Go handler
// (behind the shim) invoked with lambda invoke is traced the same way.
func TestTraceContext(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("trace")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)

	t.Run("the caller's trace", func(t *testing.T) {
		marker := fmt.Sprintf("traced-%d", time.Now().UnixNano())
		h := s.traced(t, name, "/"+marker, map[string]string{
			"Traceparent": "00-" + e2eTrace + "-" + e2eParent + "-01",
			"Tracestate":  "vendor=opaque",
		})
		if got := forwardedTrace(t, h); got != e2eTrace {
			t.Fatalf("the function got trace %s, want the caller's %s", got, e2eTrace)
		}
		if got := h.Get("Tracestate"); got != "vendor=opaque" {
			t.Errorf("the function got tracestate %q", got)
		}
		id := h.Get("X-Lambda-Request-Id")
		lines := waitLines(t, s, name, marker)
		if lines[0].TraceID != e2eTrace || lines[0].Invocation != id {
			t.Errorf("the function's line %+v: want invocation %s, trace %s", lines[0], id, e2eTrace)
		}
		var rec lambda.Job
		waitFor(t, 10*time.Second, func() bool {
			res := s.lambda("invocation", id, "-o", "json")
			return res.code == 0 && json.Unmarshal([]byte(res.stdout), &rec) == nil
		})
		if len(rec.History) != 1 || rec.History[0].TraceID != e2eTrace {
			t.Errorf("lambda invocation %s: %+v, want its attempt's trace %s", id, rec.History, e2eTrace)
		}
		if res := s.mustLambda("invocation", id); !strings.Contains(res.stdout, e2eTrace) {
			t.Errorf("lambda invocation %s does not show the trace:\n%s", id, res.stdout)
		}
	})

	t.Run("none or invalid: a new trace", func(t *testing.T) {
		seen := map[string]bool{}
		for _, header := range []map[string]string{
			nil,
			{"Traceparent": "00-" + strings.ToUpper(e2eTrace) + "-" + e2eParent + "-01", "Tracestate": "vendor=opaque"},
			{"Traceparent": "garbage"},
		} {
			h := s.traced(t, name, "/", header)
			trace := forwardedTrace(t, h)
			if trace == e2eTrace || trace == strings.ToUpper(e2eTrace) || seen[trace] {
				t.Errorf("headers %v: the function got trace %s, want a new one", header, trace)
			}
			seen[trace] = true
			if ts := h.Values("Tracestate"); len(ts) != 0 {
				t.Errorf("headers %v: tracestate %q forwarded without a valid traceparent", header, ts)
			}
		}
	})

	t.Run("an async job without a caller's trace: the one named after its ID", func(t *testing.T) {
		res := s.mustLambda("invoke", name, "--async", "--data", `{}`)
		id := strings.TrimSpace(res.stdout)
		srv := *s
		srv.t = t
		j := waitJob(&srv, id, 30*time.Second, func(j *lambda.Job) bool { return !j.Pending() })
		want := strings.ReplaceAll(id, "-", "")
		if len(j.History) == 0 || j.History[len(j.History)-1].TraceID != want {
			t.Errorf("job %s: attempts %+v, want trace %s", id, j.History, want)
		}
	})

	t.Run("an aws-lambda-go function: _X_AMZN_TRACE_ID", func(t *testing.T) {
		awsfn := s.fn("traceaws")
		s.mustLambda("deploy", "testdata/aws-fn", "--name", awsfn)
		var rec struct {
			TraceID  string `json:"trace_id"`
			Response struct {
				Trace string `json:"trace"`
			} `json:"response"`
		}
		res := s.mustLambda("invoke", awsfn, "-o", "json", "--data", `{"name":"trace"}`)
		if err := json.Unmarshal([]byte(res.stdout), &rec); err != nil || len(rec.TraceID) != 32 {
			t.Fatalf("lambda invoke -o json: %v %s", err, res.stdout)
		}
		want := "Root=1-" + rec.TraceID[:8] + "-" + rec.TraceID[8:] + ";Parent="
		if !strings.HasPrefix(rec.Response.Trace, want) || !strings.HasSuffix(rec.Response.Trace, ";Sampled=1") {
			t.Errorf("the function's _X_AMZN_TRACE_ID %q, want %s…;Sampled=1", rec.Response.Trace, want)
		}
	})

	t.Run("a Go handler through lambda invoke", func(t *testing.T) {
		prepareRuntimes(t, s)
		handler := s.fn("tracehandler")
		s.mustLambda("deploy", "testdata/go-logs", "--name", handler)
		marker := fmt.Sprintf("handler-%d", time.Now().UnixNano())
		var rec struct {
			RequestID string `json:"request_id"`
			TraceID   string `json:"trace_id"`
		}
		res := s.mustLambda("invoke", handler, "-o", "json", "--data", `{"print":["`+marker+`"]}`)
		if err := json.Unmarshal([]byte(res.stdout), &rec); err != nil || len(rec.TraceID) != 32 {
			t.Fatalf("lambda invoke -o json: %v %s", err, res.stdout)
		}
		lines := waitLines(t, s, handler, marker)
		if lines[0].TraceID != rec.TraceID || lines[0].Invocation != rec.RequestID {
			t.Errorf("the handler's line %+v: want invocation %s, trace %s", lines[0], rec.RequestID, rec.TraceID)
		}
		// The platform's own lines (START, END, REPORT) carry it too.
		for _, l := range s.logLines(t, handler, "--invocation", rec.RequestID) {
			if l.TraceID != rec.TraceID {
				t.Errorf("line %q of invocation %s has trace %q, want %s", l.Message, rec.RequestID, l.TraceID, rec.TraceID)
			}
		}
	})
}
