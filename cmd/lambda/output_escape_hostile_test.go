package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// hostileOutput is what a function may print to take over the terminal of
// whoever reads its output: a carriage return and a cursor movement to
// write over what the CLI printed before it, a window title, a C1 CSI.
const hostileOutput = "ok\rSTART RequestId: forged Version: 1\x1b[2K\x1b]0;title\x07\u009b31m end\tTab ünïcödé"

const hostileEscaped = `ok\rSTART RequestId: forged Version: 1\x1b[2K\x1b]0;title\x07\u009b31m end` + "\tTab ünïcödé"

// Every text view of a function's output escapes its control characters as
// lambda logs does (TestLogsTextEscapesControlCharacters): lambda invoke
// --log (the tail), lambda invocation's attempt tails and --logs.
func TestFunctionOutputIsEscapedInEveryTextView(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	t.Run("invoke --log", func(t *testing.T) {
		var out, errOut bytes.Buffer
		printLog(&streams{Out: &out, Err: &errOut}, "START RequestId: a Version: 1\n"+hostileOutput+"\nEND RequestId: a\n")
		want := "--- log ---\nSTART RequestId: a Version: 1\n" + hostileEscaped + "\nEND RequestId: a\n"
		if errOut.String() != want {
			t.Errorf("got  %q\nwant %q", errOut.String(), want)
		}
	})
	j := &lambda.Job{ID: "job-1", Function: "greet", Status: lambda.StatusSucceeded, History: []lambda.JobAttempt{
		{Attempt: 1, Counted: true, Start: now, Version: 1, Status: lambda.StatusSucceeded, Logs: hostileOutput + "\n"},
	}}
	t.Run("invocation tail", func(t *testing.T) {
		var b bytes.Buffer
		if err := printInvocation(&b, j, now); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "    "+hostileEscaped+"\n") || strings.ContainsAny(b.String(), "\r\x1b\x07") {
			t.Errorf("control characters printed raw:\n%q", b.String())
		}
	})
	t.Run("invocation --logs", func(t *testing.T) {
		var b bytes.Buffer
		whole := []attemptLogs{{Attempt: 1, index: 0, Lines: []lambda.LogLine{{Time: now, Message: hostileOutput}}}}
		if err := printInvocation(&b, j, now, whole...); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "2026-12-05T10:00:00.000Z "+hostileEscaped+"\n") || strings.ContainsAny(b.String(), "\r\x1b\x07") {
			t.Errorf("control characters printed raw:\n%q", b.String())
		}
	})
}
