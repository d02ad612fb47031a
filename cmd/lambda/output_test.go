package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lambdahq/lambda"
)

func TestListOutputCheck(t *testing.T) {
	for _, tc := range []struct {
		format string
		quiet  bool
		err    string
	}{
		{"", false, ""},
		{"table", true, ""},
		{"", true, ""},
		{"json", false, ""},
		{"yaml", false, ""},
		{"xml", false, `--output "xml" is not supported: use table, json or yaml`},
		{"json", true, "--quiet prints one name per line"},
		{"yaml", true, "--quiet prints one name per line"},
	} {
		o := listOutput{format: tc.format, quiet: tc.quiet}
		err := o.check()
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("-o %q quiet %v: got %v, want %q", tc.format, tc.quiet, err, tc.err)
		}
	}
}

// YAML keeps the JSON's keys and order, and quotes only the strings that
// would read back as another type.
func TestPrintYAML(t *testing.T) {
	created := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	v := []map[string]any{{"name": "greet"}}
	for _, tc := range []struct {
		name string
		in   any
		want string
	}{
		{"list", v, "- name: greet\n"},
		{"empty list", []string{}, "[]\n"},
		{"struct order and types", &lambda.Schedule{ID: "123", Function: "greet", Cron: "*/5 * * * *", NextRunAt: created},
			"id: \"123\"\nfunction: greet\ncron: '*/5 * * * *'\n"},
		{"multi-line", map[string]string{"m": "a\nb"}, "m: |-\n  a\n  b\n"},
		{"true as a string", map[string]string{"b": "true"}, "b: \"true\"\n"},
	} {
		var b bytes.Buffer
		if err := printYAML(&b, tc.in); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !strings.HasPrefix(b.String(), tc.want) {
			t.Errorf("%s: got\n%s\nwant it to start with\n%s", tc.name, b.String(), tc.want)
		}
		var back any
		if err := yaml.Unmarshal(b.Bytes(), &back); err != nil {
			t.Errorf("%s: the YAML does not parse back: %v", tc.name, err)
		}
	}
}

var sgr = regexp.MustCompile("\x1b\\[[0-9]+m")

// A coloured column stays aligned: every cell and its header carry the
// same invisible bytes, which tabwriter counts as width.
func TestPainterKeepsColumnsAligned(t *testing.T) {
	render := func(p painter) string {
		var b bytes.Buffer
		tw := newTable(&b)
		fmt.Fprintf(tw, "NAME\t%s\tURL\n", p.header("STATUS"))
		for _, row := range [][2]string{{"greet", "ready"}, {"a-much-longer-name", "idle"}, {"x", "unknown"}, {"y", "failed"}} {
			fmt.Fprintf(tw, "%s\t%s\thttp://%s\n", row[0], p.status(row[1]), row[0])
		}
		tw.Flush()
		return b.String()
	}
	plain, coloured := render(painter{}), render(painter{on: true})
	if strings.Contains(plain, "\x1b") {
		t.Fatalf("colour off printed escapes:\n%q", plain)
	}
	if got := sgr.ReplaceAllString(coloured, ""); got != plain {
		t.Errorf("coloured table, its colours removed, differs from the plain one:\n%s\nwant\n%s", got, plain)
	}
	for _, want := range []string{"\x1b[32mready\x1b[0m", "\x1b[31mfailed\x1b[0m", "\x1b[33munknown\x1b[0m", "\x1b[39midle\x1b[0m"} {
		if !strings.Contains(coloured, want) {
			t.Errorf("coloured table lacks %q:\n%q", want, coloured)
		}
	}
}

// Colours only ever reach a terminal: a buffer, --no-color and NO_COLOR
// each turn them off.
func TestColoursOffOffTerminal(t *testing.T) {
	var b bytes.Buffer
	if colours(&streams{Out: &b}, false) {
		t.Error("colours on for a buffer")
	}
	t.Setenv("NO_COLOR", "1")
	if colours(&streams{Out: &b}, false) {
		t.Error("colours on with NO_COLOR")
	}
}

func TestQuietListings(t *testing.T) {
	api, url := newFakeAPI(t)
	api.add("greet", 3, time.Now())
	api.add("hello", 1, time.Now())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "-q"}, "greet\nhello\n"},
		{[]string{"versions", "greet", "--quiet"}, "1\n2\n3\n"},
	} {
		stdout, stderr, code := runCLI(t, url, "", tc.args...)
		if code != 0 || stdout != tc.want || stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
	stdout, _, code := runCLI(t, url, "", "list", "-o", "yaml")
	if code != 0 || !strings.Contains(stdout, "- name: greet\n  version: 3\n") {
		t.Errorf("list -o yaml: exit %d\n%s", code, stdout)
	}
}

// lambda context list, a listing of the local config, takes the same
// flags as the server's listings.
func TestContextListQuietAndYAML(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv("LAMBDA_CONTEXT", "")
	if _, stderr, code := runCLI(t, "", "", "context", "add", "prod", "--server", "https://lambda.example.com"); code != 0 {
		t.Fatalf("context add: %s", stderr)
	}
	stdout, stderr, code := runCLI(t, "", "", "context", "list", "-q")
	if code != 0 || stdout != "default\nprod\n" {
		t.Errorf("context list -q: exit %d, %q, %s", code, stdout, stderr)
	}
	stdout, _, code = runCLI(t, "", "", "context", "list", "-o", "yaml")
	if code != 0 || !strings.Contains(stdout, "- name: prod\n") || !strings.Contains(stdout, "server: https://lambda.example.com\n") {
		t.Errorf("context list -o yaml: exit %d\n%s", code, stdout)
	}
}

// Whatever a server's strings hold (they come from functions, images,
// users), -o yaml prints a document that reads back as the same values.
func FuzzPrintYAML(f *testing.F) {
	for _, s := range []string{"greet", "123", "true", "a: b", "- x", "line\nline", "\x1b[31m", "null", "~", "'\"", " lead", "\u2028", "#x", "1e+06", ""} {
		f.Add(s, 42.5)
	}
	f.Fuzz(func(t *testing.T, s string, n float64) {
		in := map[string]any{"s": s, "list": []string{s, s}, "n": n}
		want, err := json.Marshal(in)
		if err != nil {
			return // NaN, Inf: not JSON, never an API answer
		}
		var b bytes.Buffer
		if err := printYAML(&b, in); err != nil {
			t.Fatalf("printYAML(%q): %v", s, err)
		}
		var back map[string]any
		if err := yaml.Unmarshal(b.Bytes(), &back); err != nil {
			t.Fatalf("the YAML of %q does not parse: %v\n%s", s, err, b.String())
		}
		got, err := json.Marshal(back)
		if err != nil {
			t.Fatalf("%v", err)
		}
		var a, c any
		_ = json.Unmarshal(want, &a)
		_ = json.Unmarshal(got, &c)
		if fmt.Sprint(a) != fmt.Sprint(c) {
			t.Fatalf("round trip of %q:\n%s\nread back %s, want %s", s, b.String(), got, want)
		}
	})
}
