package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestLogsPathQuery(t *testing.T) {
	since, until := time.Date(2026, 12, 5, 10, 0, 0, 123, time.UTC), time.Date(2026, 12, 5, 10, 1, 0, 0, time.UTC)
	for _, c := range []struct {
		name, path string
		fn         string
		since      string
		until      string
		ok         bool
	}{
		{"the server's", lambda.AttemptLogsPath("greet", "job-1", since, until), "greet", "2026-12-05T10:00:00.000000123Z", "2026-12-05T10:01:00Z", true},
		{"no end", lambda.AttemptLogsPath("greet", "job-1", since, time.Time{}), "greet", "2026-12-05T10:00:00.000000123Z", "", true},
		{"another route", "/v1/invocations/job-1", "", "", "", false},
		{"no name", "/v1/functions//logs?invocation=x", "", "", "", false},
		{"garbage", "%zz", "", "", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			fn, q, err := logsPathQuery(c.path)
			if (err == nil) != c.ok {
				t.Fatalf("%q: err %v", c.path, err)
			}
			if c.ok && (fn != c.fn || q.Invocation != "job-1" || q.Since != c.since || q.Until != c.until) {
				t.Errorf("%q: %s %+v", c.path, fn, q)
			}
		})
	}
}

// --logs prints each attempt's whole log in place of its tail; without
// it, the tail and where the whole log is.
func TestPrintInvocationAttemptLogs(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	j := &lambda.Job{ID: "job-1", Function: "greet", Status: lambda.StatusSucceeded, History: []lambda.JobAttempt{
		{Attempt: 1, Counted: true, Start: now, Version: 1, Status: lambda.StatusSucceeded, Logs: "START RequestId: job-1 Version: 1\ntail line\n"},
	}}
	j.LinkAttemptLogs()
	var b bytes.Buffer
	if err := printInvocation(&b, j, now); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "    tail line\n") || !strings.Contains(b.String(), "lambda invocation job-1 --logs") {
		t.Errorf("without --logs:\n%s", b.String())
	}
	b.Reset()
	whole := []attemptLogs{{Attempt: 1, index: 0, Lines: []lambda.LogLine{{Time: now, Message: "REPORT RequestId: job-1\tDuration: 1.00 ms\t"}}}}
	if err := printInvocation(&b, j, now, whole...); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); strings.Contains(out, "tail line") || !strings.Contains(out, "2026-12-05T10:00:00.000Z REPORT RequestId: job-1\tDuration: 1.00 ms\n") {
		t.Errorf("with --logs:\n%s", out)
	}
}
