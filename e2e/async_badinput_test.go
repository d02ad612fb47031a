package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestAsyncBadInput: each bad asynchronous request is refused with a clear
// error, and nothing is queued or run.
func TestAsyncBadInput(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("async-bad")
	deployAsyncFn(s, name)

	// One job that ran, to redrive although it is not dead.
	done := mustSubmit(s, name, `{"tag":"bad-input-ok"}`)
	waitJob(s, done, 30*time.Second, ended)
	jobsBefore := len(listJobs(s, name, "limit=1000"))
	ranBefore := seenBy(s, name).Total

	big := `{"x":"` + strings.Repeat("a", lambda.MaxAsyncPayloadBytes) + `"}`
	invocations := "/v1/functions/" + name + "/invocations"
	event := "/2015-03-31/functions/" + name + "/invocations"
	eventHeader := map[string]string{"X-Amz-Invocation-Type": "Event"}
	for _, c := range []struct {
		what, method, path, body string
		header                   map[string]string
		status                   int
		says                     string // in the message, lower case
		amzType                  string // the Invoke API's X-Amzn-ErrorType
	}{
		{"unknown function", "POST", "/v1/functions/nosuch-" + runID + "/invocations", `{}`, nil, 404, "nosuch-" + runID, ""},
		{"payload over 1 MB", "POST", invocations, big, nil, 413, "1 mb", ""},
		{"bad JSON", "POST", invocations, `{"tag":`, nil, 400, "json", ""},
		{"idempotency key over 256 characters", "POST", invocations, `{}`, map[string]string{"Idempotency-Key": strings.Repeat("k", 257)}, 400, "idempotency-key", ""},
		{"bad per-call timeout", "POST", invocations + "?timeout=soon", `{}`, nil, 400, "timeout", ""},
		// Through the real server's parsing, which must keep an empty
		// header and a repeated parameter for the handler to refuse.
		{"empty idempotency key", "POST", invocations, `{}`, map[string]string{"Idempotency-Key": ""}, 400, "idempotency-key is empty", ""},
		{"qualifier given twice", "POST", invocations + "?qualifier=live&qualifier=1", `{}`, nil, 400, "qualifier is given 2 times", ""},
		{"redrive of two objects", "POST", "/v1/functions/" + name + "/redrive", `{"all":true} {"ids":["x"]}`, nil, 400, "more than its json object", ""},
		{"unknown invocation ID", "GET", "/v1/invocations/no-such-invocation", ``, nil, 404, "no-such-invocation", ""},
		{"redrive of a job that is not dead", "POST", "/v1/functions/" + name + "/redrive", `{"ids":["` + done + `"]}`, nil, 409, "succeeded", ""},
		{"redrive of an unknown job", "POST", "/v1/functions/" + name + "/redrive", `{"ids":["no-such-invocation"]}`, nil, 404, "no-such-invocation", ""},
		{"redrive of nothing", "POST", "/v1/functions/" + name + "/redrive", `{}`, nil, 400, "all", ""},
		{"listing with a bad status", "GET", invocations + "?status=lost", ``, nil, 400, "dead", ""},
		{"Event to an unknown function", "POST", "/2015-03-31/functions/nosuch-" + runID + "/invocations", `{}`, eventHeader, 404, "nosuch-" + runID, "ResourceNotFoundException"},
		{"Event over 1 MB", "POST", event, big, eventHeader, 413, "", "RequestTooLargeException"},
		{"Event of bad JSON", "POST", event, `{"tag":`, eventHeader, 400, "", "InvalidRequestContentException"},
		{"Event with Qualifier twice", "POST", event + "?Qualifier=1&Qualifier=live", `{}`, eventHeader, 400, "", "InvalidParameterValueException"},
	} {
		status, h, body := apiCall(s, c.method, c.path, []byte(c.body), c.header)
		if status != c.status {
			t.Errorf("%s: %d %s, want %d", c.what, status, trimBody(body), c.status)
			continue
		}
		if c.amzType != "" {
			if h.Get("X-Amzn-ErrorType") != c.amzType || !strings.Contains(body, `"Message"`) {
				t.Errorf("%s: error type %q body %s, want %s with a message", c.what, h.Get("X-Amzn-ErrorType"), trimBody(body), c.amzType)
			}
			continue
		}
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code == "" || h.Get("X-Lambda-Error") == "" ||
			!strings.Contains(strings.ToLower(e.Error.Message), c.says) {
			t.Errorf("%s: %s, want an error whose message names %q", c.what, trimBody(body), c.says)
		}
	}

	// The CLI says the same.
	for _, c := range []struct {
		what string
		args []string
		says string
	}{
		{"unknown function", []string{"invoke", "nosuch-" + runID, "--async"}, "not found"},
		{"bad JSON", []string{"invoke", name, "--async", "--data", `{"tag":`}, "json"},
		{"idempotency key over 256 characters", []string{"invoke", name, "--async", "--idempotency-key", strings.Repeat("k", 257)}, "256"},
		{"unknown invocation ID", []string{"invocation", "no-such-invocation"}, "not found"},
		{"redrive of a job that is not dead", []string{"redrive", name, "--id", done}, "not dead"},
		{"redrive without --id or --all", []string{"redrive", name}, "--all"},
		{"a bad status word", []string{"invocations", name, "--status", "lost"}, "dead"},
	} {
		res := s.lambda(c.args...)
		if res.code == 0 || !strings.Contains(strings.ToLower(res.stderr), c.says) {
			t.Errorf("lambda %s (%s): exit %d\nstdout: %s\nstderr: %s\nwant an error saying %q", c.args[0], c.what, res.code, res.stdout, trimBody(res.stderr), c.says)
		}
	}

	// Nothing was queued, nothing ran.
	time.Sleep(500 * time.Millisecond) // a wrongly queued job would have run on the warm instance by now
	if n := len(listJobs(s, name, "limit=1000")); n != jobsBefore {
		t.Errorf("%d invocations of %s after the refusals, want %d: a refused request was queued", n, name, jobsBefore)
	}
	if ran := seenBy(s, name).Total; ran != ranBefore {
		t.Errorf("the function ran %d times during the refusals, want 0", ran-ranBefore)
	}
	if j := waitJob(s, done, time.Second, ended); j.Status != lambda.StatusSucceeded || j.Attempts != 1 {
		t.Errorf("the job a refused redrive named: %+v, want it untouched", j)
	}
	s.mustLambda("delete", name)
}

// trimBody keeps failure messages readable when a body is huge.
func trimBody(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
