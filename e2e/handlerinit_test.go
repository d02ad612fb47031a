package e2e

import (
	"strings"
	"testing"
)

// A handler that cannot be imported fails its deploy with the handler's
// error, not with advice about serving HTTP on $PORT, which handler
// functions never do (issue 7, defect 6).
func TestHandlerLoadErrorMessage(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	for _, tc := range []struct {
		dir  string
		want []string
	}{
		{"testdata/python-syntax-error", []string{"the handler failed to load", "SyntaxError", "handler.py"}},
		{"testdata/node-missing-handler", []string{"the handler failed to load", "handler"}},
	} {
		name := s.fn("loaderr")
		res := s.lambda("deploy", tc.dir, "--name", name)
		if res.code == 0 {
			t.Fatalf("%s: deploy succeeded", tc.dir)
		}
		for _, want := range tc.want {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("%s: the error lacks %q:\n%s", tc.dir, want, res.stderr)
			}
		}
		if strings.Contains(res.stderr, "must serve HTTP") || strings.Contains(res.stderr, "before listening") {
			t.Errorf("%s: the error speaks of HTTP:\n%s", tc.dir, res.stderr)
		}
	}
}
