package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestInvoke(t *testing.T) {
	dataFile := filepath.Join(t.TempDir(), "payload.json")
	if err := os.WriteFile(dataFile, []byte(`{"from":"file"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		stdin       string
		args        []string
		wantCode    int
		wantOut     string
		wantErr     string
		wantPayload string
	}{
		{"default payload", "", []string{"invoke", "greet"}, 0, `{"echo":{}}` + "\n", "", "{}"},
		{"--data", "", []string{"invoke", "greet", "--data", `{"name":"Ada"}`}, 0, `{"echo":{"name":"Ada"}}` + "\n", "", `{"name":"Ada"}`},
		{"stdin with -", `{"n":1}`, []string{"invoke", "greet", "-"}, 0, `{"echo":{"n":1}}` + "\n", "", `{"n":1}`},
		{"--data-file -", `[1]`, []string{"invoke", "greet", "--data-file", "-"}, 0, `{"echo":[1]}` + "\n", "", `[1]`},
		{"--data-file", "", []string{"invoke", "greet", "--data-file", dataFile}, 0, `{"echo":{"from":"file"}}` + "\n", "", `{"from":"file"}`},
		{"body with its own newline", "", []string{"invoke", "newline"}, 0, "hello\n", "", "{}"},
		{"function error", "", []string{"invoke", "fail"}, 1, "something broke\n", "Error: function \"fail\" answered 500 Internal Server Error\n", "{}"},
		{"platform timeout", "", []string{"invoke", "slow"}, 1, "", "Error: function \"slow\" timed out after 30s\n", "{}"},
		{"not found", "", []string{"invoke", "nope"}, 1, "", "Error: function \"nope\" not found\n", "{}"},
		{"bad --data", "", []string{"invoke", "greet", "--data", `{name:Ada}`}, 1, "",
			"Error: --data is not valid JSON: quote it for your shell, e.g. --data '{\"name\":\"Ada\"}'\nUsage: lambda invoke NAME[:ALIAS|:VERSION] [-] [flags]\nRun 'lambda invoke --help' for more information.\n", ""},
		{"two sources", "", []string{"invoke", "greet", "-", "--data", "{}"}, 1, "",
			"Error: use only one of --data, --data-file and - (standard input)\nUsage: lambda invoke NAME[:ALIAS|:VERSION] [-] [flags]\nRun 'lambda invoke --help' for more information.\n", ""},
		{"stray argument", "", []string{"invoke", "greet", "x"}, 1, "",
			"Error: unexpected argument \"x\": pass the payload with --data, --data-file or - (standard input)\nUsage: lambda invoke NAME[:ALIAS|:VERSION] [-] [flags]\nRun 'lambda invoke --help' for more information.\n", ""},
		{"missing data file", "", []string{"invoke", "greet", "--data-file", "/nonexistent/p.json"}, 1, "",
			"Error: read --data-file: open /nonexistent/p.json: no such file or directory\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, url := newFakeAPI(t)
			stdout, stderr, code := runCLI(t, url, tt.stdin, tt.args...)
			if code != tt.wantCode || stdout != tt.wantOut || stderr != tt.wantErr {
				t.Errorf("got exit %d\nstdout %q\nstderr %q\nwant exit %d\nstdout %q\nstderr %q", code, stdout, stderr, tt.wantCode, tt.wantOut, tt.wantErr)
			}
			if api.lastInvoke != tt.wantPayload {
				t.Errorf("payload sent = %q, want %q", api.lastInvoke, tt.wantPayload)
			}
		})
	}
}

func TestInvokeVerbose(t *testing.T) {
	_, url := newFakeAPI(t)
	stdout, stderr, code := runCLI(t, url, "", "invoke", "greet", "-v")
	if code != 0 || stdout != `{"echo":{}}`+"\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^< HTTP/1\.1 200 OK$`),
		regexp.MustCompile(`^< Content-Length: 11$`),
		regexp.MustCompile(`^< Content-Type: application/json$`),
		regexp.MustCompile(`^< Date: .+ GMT$`),
		regexp.MustCompile(`^< X-Lambda-Cold-Start: true$`),
		regexp.MustCompile(`^< X-Lambda-Request-Id: inv-sync$`),
		regexp.MustCompile(`^< X-Lambda-Trace-Id: [0-9a-f]{32}$`),
		regexp.MustCompile(`^< X-Lambda-Version: 3$`),
		regexp.MustCompile(`^< X-Request-Id: req-1$`),
		regexp.MustCompile(`^\* Duration: [0-9.]+(µs|ms|s)$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(want), stderr)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d = %q, want match %s", i, lines[i], re)
		}
	}
}
