package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A read no line can match is refused before it is sent: --until at or
// before --since used to print "No log lines match: invoke it", and -f
// with --until followed for ever without printing anything (the follow
// does not end at --until: a new line is never before a time already past).
func TestLogsRefusesAnEmptyWindow(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the request was sent: %s", r.URL)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"until before since", []string{"--since", "2026-12-05T10:00:00Z", "--until", "2026-12-05T09:00:00Z"}, "--until"},
		{"until equal to since", []string{"--since", "2026-12-05T10:00:00Z", "--until", "2026-12-05T10:00:00Z"}, "--until"},
		{"durations reversed", []string{"--since", "5m", "--until", "1h"}, "--until"},
		{"follow with until", []string{"-f", "--until", "5m"}, "-f"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, srv.URL, "", append([]string{"logs", "greet"}, c.args...)...)
			if code != 1 || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, "Usage:") {
				t.Errorf("exit %d, stderr %q; want a usage error naming %s", code, errOut, c.want)
			}
		})
	}
}
