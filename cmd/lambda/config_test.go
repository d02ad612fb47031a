package main

import (
	"strings"
	"testing"
	"time"
)

func TestConfig(t *testing.T) {
	f, url := newFakeAPI(t)
	f.add("greet", 1, time.Now())
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"pool settings", []string{"config", "greet", "--concurrency", "1", "--max-instances", "3", "--idle-timeout", "30s"}, 0,
			`Updated function "greet": concurrency 1, instances 0-3, idle timeout 30s, start timeout 1m0s, reserved none` + "\n", ""},
		{"disable", []string{"config", "greet", "--reserved-concurrency", "0"}, 0,
			`Updated function "greet": concurrency 1, instances 0-3, idle timeout 30s, start timeout 1m0s, reserved 0` + "\n", ""},
		{"remove the cap", []string{"config", "greet", "--reserved-concurrency", "none"}, 0,
			`Updated function "greet": concurrency 1, instances 0-3, idle timeout 30s, start timeout 1m0s, reserved none` + "\n", ""},
		{"start timeout", []string{"config", "greet", "--start-timeout", "2m"}, 0,
			`Updated function "greet": concurrency 1, instances 0-3, idle timeout 30s, start timeout 2m0s, reserved none` + "\n", ""},
		{"bad start timeout", []string{"config", "greet", "--start-timeout", "soon"}, 1, "", `--start-timeout "soon" is invalid`},
		{"start timeout out of range", []string{"config", "greet", "--start-timeout", "500ms"}, 1, "", `--start-timeout 500ms is out of range 1s-15m0s`},
		{"private", []string{"config", "greet", "--auth", "key"}, 0,
			`Updated function "greet": concurrency 1, instances 0-3, idle timeout 30s, start timeout 2m0s, reserved none, private (auth key)` + "\n", ""},
		{"public again", []string{"config", "greet", "--auth", "none"}, 0,
			`Updated function "greet": concurrency 1, instances 0-3, idle timeout 30s, start timeout 2m0s, reserved none` + "\n", ""},
		{"bad auth", []string{"config", "greet", "--auth", "iam"}, 1, "", `--auth: auth "iam" is unknown: use none (public) or key`},
		{"nothing to change", []string{"config", "greet"}, 1, "", "nothing to change"},
		{"bad idle timeout", []string{"config", "greet", "--idle-timeout", "soon"}, 1, "", `--idle-timeout "soon" is invalid`},
		{"bad reserved", []string{"config", "greet", "--reserved-concurrency", "-2"}, 1, "", "use a number from 0, or none"},
		{"server refuses", []string{"config", "greet", "--min-instances", "5"}, 1, "", "above max instances"},
		{"unknown function", []string{"config", "nosuch", "--min-instances", "1"}, 1, "", `"nosuch" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, url, "", tt.args...)
			if code != tt.code || stdout != tt.stdout || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d\nstdout %q\nstderr %q\nwant exit %d, stdout %q, stderr containing %q", code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}
