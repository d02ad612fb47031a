package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// `lambda invocation ID` says how a crashed invocation's runtime ended;
// a succeeded or handled failure says nothing of it.
func TestPrintInvocationRuntimeExit(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		exit, want string
	}{
		{"signal: killed", "  Runtime exit: signal: killed\n"},
		{lambda.RuntimeExitUnknown, "  Runtime exit: unknown (the instance went without saying how)\n"},
		{"exit status 1\x1b[2J", "  Runtime exit: exit status 1\\x1b[2J\n"},
		{"", ""},
	} {
		j := lambda.InvocationJob(&lambda.Invocation{ID: "r-1", Function: "greet", Version: 1, Trigger: lambda.TriggerHTTP,
			Start: now, Status: lambda.StatusFailed, HTTPStatus: 502, ErrorType: lambda.EFUNCTION, RuntimeExit: c.exit})
		var b bytes.Buffer
		if err := printInvocation(&b, j, now); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if c.want == "" && strings.Contains(out, "Runtime exit") || c.want != "" && !strings.Contains(out, c.want) {
			t.Errorf("runtime exit %q:\n%s\nwant %q", c.exit, out, c.want)
		}
	}
}
