package engine

import (
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// A handler that fails to import is not an HTTP server that never
// listened (issue 7, defect 6).
func TestExitedBeforeReady(t *testing.T) {
	for _, tc := range []struct {
		protocol  string
		want, not string
	}{
		{lambda.ProtocolHandler, "the handler failed to load", "HTTP"},
		{lambda.ProtocolAWS, "failed to initialise", "HTTP"},
		{lambda.ProtocolStdio, "shim exited before listening on port 8080", "must serve HTTP"},
		{lambda.ProtocolHTTP, "exited before listening on port 8080 (it must serve HTTP on $PORT)", "handler"},
	} {
		msg := exitedBeforeReady(tc.protocol, "8080").Error()
		if !strings.Contains(msg, tc.want) || strings.Contains(msg, tc.not) {
			t.Errorf("%s: %q, want %q and no %q", tc.protocol, msg, tc.want, tc.not)
		}
	}
}
