package main

import (
	"testing"
	"time"
)

// Without --data, --data-file or "-", a payload on standard input that is
// not a terminal (a pipe, a file) is sent; an empty one means {}.
func TestInvokeReadsPipedStdin(t *testing.T) {
	api, url := newFakeAPI(t)
	api.add("greet", 1, time.Now())
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{`{"name":"Ada"}`, nil, `{"name":"Ada"}`},
		{"", nil, "{}"},
		{" \n", nil, "{}"},
		{`{"name":"Ada"}`, []string{"--data", `{"name":"Bob"}`}, `{"name":"Bob"}`},
		{`{"name":"Ada"}`, []string{"-"}, `{"name":"Ada"}`},
	} {
		args := append([]string{"invoke", "greet"}, tc.args...)
		_, stderr, code := runCLI(t, url, tc.stdin, args...)
		api.mu.Lock()
		got := api.lastInvoke
		api.mu.Unlock()
		if code != 0 || got != tc.want {
			t.Errorf("stdin %q, %v: exit %d (%s), sent %q, want %q", tc.stdin, tc.args, code, stderr, got, tc.want)
		}
	}
}
