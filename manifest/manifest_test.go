package manifest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestParseFull(t *testing.T) {
	src := `# a full manifest
name: greet
runtime: python
handler: handler.handler
protocol: aws
port: 9000
env:
  GREETING: Hello
  DEBUG: true
  RETRIES: 3
  EMPTY:
memory: 512m
timeout: 1m30s
concurrency: 4
min_instances: 1
max_instances: 5
start_timeout: 2m
schedules:
  - cron: "0 * * * *"
  - cron: "30 8 * * 1-5"
    tz: Europe/Paris
    overlap: allow
    data:
      kind: daily
      list: [1, 2.5, "x", null, false]
      when: 2026-01-02
`
	m, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &Manifest{
		Name: "greet", Runtime: "python", Handler: "handler.handler", Protocol: "aws", Port: 9000,
		Env:         map[string]string{"GREETING": "Hello", "DEBUG": "true", "RETRIES": "3", "EMPTY": ""},
		MemoryBytes: 512 << 20, Timeout: 90 * time.Second,
		Scaling: lambda.ScalingPatch{Concurrency: ptr(4), MinInstances: ptr(1), MaxInstances: ptr(5), StartTimeout: durPtr(2 * time.Minute)},
		Schedules: []Schedule{
			{Cron: "0 * * * *", Line: 19},
			{Cron: "30 8 * * 1-5", Timezone: "Europe/Paris", Overlap: "allow", Line: 20,
				Data: json.RawMessage(`{"kind":"daily","list":[1,2.5,"x",null,false],"when":"2026-01-02"}`)},
		},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", m, want)
	}
	cfg := m.Config()
	if err := cfg.WithDefaults().Validate(); err != nil {
		t.Errorf("Config() does not validate: %v", err)
	}
	if cfg.Protocol != "aws" || cfg.MemoryBytes != 512<<20 || time.Duration(cfg.Timeout) != 90*time.Second {
		t.Errorf("Config() = %+v", cfg)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "---\n", "\n\n"} {
		m, err := Parse([]byte(src))
		if err != nil || m == nil || !reflect.DeepEqual(*m, Manifest{}) {
			t.Errorf("Parse(%q) = %+v, %v; want an empty manifest", src, m, err)
		}
	}
}

func TestParseScalars(t *testing.T) {
	tests := []struct {
		src  string
		want Manifest
	}{
		{"memory: 1g", Manifest{MemoryBytes: 1 << 30}},
		{"min_instances: 0\nconcurrency: 0", Manifest{Scaling: lambda.ScalingPatch{MinInstances: ptr(0), Concurrency: ptr(0)}}},
		{"min_instances: 3\nmax_instances: 0", Manifest{Scaling: lambda.ScalingPatch{MinInstances: ptr(3), MaxInstances: ptr(0)}}},
		{"memory: 16777216", Manifest{MemoryBytes: 16 << 20}},
		{"timeout: 500ms", Manifest{Timeout: 500 * time.Millisecond}},
		{"start_timeout: 1s", Manifest{Scaling: lambda.ScalingPatch{StartTimeout: durPtr(time.Second)}}},
		{"auth: key", Manifest{Scaling: lambda.ScalingPatch{Auth: ptr("key")}}},
		{"port: 0x1F90", Manifest{Port: 8080}},
		{"name: '123'", Manifest{Name: "123"}},
		{"name: &n greet\nhandler: *n", Manifest{Name: "greet", Handler: "greet"}},
		{"env: {A: 'x y', B: 1.50}", Manifest{Env: map[string]string{"A": "x y", "B": "1.50"}}},
		{"env:\nschedules:", Manifest{}},
		{"schedules:\n- cron: '@daily'\n  data: 42", Manifest{Schedules: []Schedule{{Cron: "@daily", Data: json.RawMessage("42"), Line: 2}}}},
		{"schedules:\n- cron: '@daily'\n  data: null", Manifest{Schedules: []Schedule{{Cron: "@daily", Data: json.RawMessage("null"), Line: 2}}}},
	}
	for _, tt := range tests {
		m, err := Parse([]byte(tt.src))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		if !reflect.DeepEqual(*m, tt.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.src, *m, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"unknown key with suggestion", "name: greet\n\nmemroy: 256m\n", `lambda.yaml: line 3: unknown key "memroy": did you mean "memory"?`},
		{"short key far from any", "base: x", `lambda.yaml: line 1: unknown key "base": use name, runtime, handler, protocol, port, env, memory, timeout, concurrency, min_instances, max_instances, start_timeout, standby_timeout, auth, max_retries, retry_delay, max_event_age, async_concurrency, on_success, on_failure, placement, schedules, project, functions`},
		{"unknown key", "colour: red", `lambda.yaml: line 1: unknown key "colour": use name, runtime, handler, protocol, port, env, memory, timeout, concurrency, min_instances, max_instances, start_timeout, standby_timeout, auth, max_retries, retry_delay, max_event_age, async_concurrency, on_success, on_failure, placement, schedules, project, functions`},
		{"duplicate key", "name: a\nname: b", `lambda.yaml: line 2: key "name" is set twice (first on line 1): keep one`},
		{"bad size", "memory: lots", `lambda.yaml: line 1: memory: "lots" is not a size: use a number with a unit k, m or g, e.g. 256m`},
		{"size without unit", "memory: 256", `lambda.yaml: line 1: memory: 256 is out of range 16m-10g (a number without unit counts bytes)`},
		{"memory too big", "memory: 11g", `lambda.yaml: line 1: memory: 11g is out of range 16m-10g (a number without unit counts bytes)`},
		{"bad duration", "timeout: 30", `lambda.yaml: line 1: timeout: "30" is not a duration: use a value like 500ms, 30s or 5m`},
		{"duration too long", "timeout: 1h", `lambda.yaml: line 1: timeout: 1h is out of range: use more than 0 and at most 15m0s`},
		{"start timeout too short", "start_timeout: 500ms", `lambda.yaml: line 1: start_timeout: 500ms is out of range: use 1s to 15m0s`},
		{"start timeout too long", "start_timeout: 1h", `lambda.yaml: line 1: start_timeout: 1h is out of range: use 1s to 15m0s`},
		{"auth unknown", "auth: iam", `lambda.yaml: line 1: auth: "iam" is unknown: use none (anyone may call the function) or key (a key of invoke scope)`},
		{"bad start timeout", "start_timeout: 60", `lambda.yaml: line 1: start_timeout: "60" is not a duration: use a value like 30s or 2m`},
		{"negative duration", "timeout: -1s", `lambda.yaml: line 1: timeout: -1s is out of range: use more than 0 and at most 15m0s`},
		{"bad name", "name: My_App", `lambda.yaml: line 1: name: function name "My_App" contains 'M': use 1-63 lowercase letters, digits or dashes, not starting or ending with a dash`},
		{"empty name", "name:", `lambda.yaml: line 1: name: is empty: set a value or remove the key`},
		{"name is a list", "name: [a]", `lambda.yaml: line 1: name: must be a single value, not a list`},
		{"bad protocol", "protocol: grpc", `lambda.yaml: line 1: protocol: "grpc" is not supported: use http, aws, stdio`},
		{"handler protocol is internal", "protocol: handler", `lambda.yaml: line 1: protocol: "handler" is not supported: use http, aws, stdio`},
		{"bad runtime", "runtime: Python 3", `lambda.yaml: line 1: runtime: "Python 3" is not a runtime name: use e.g. python, node, go or dockerfile (see "lambda runtimes")`},
		{"port not a number", "port: http", `lambda.yaml: line 1: port: "http" is not a whole number`},
		{"port float", "port: 80.5", `lambda.yaml: line 1: port: "80.5" is not a whole number`},
		{"port out of range", "port: 70000", `lambda.yaml: line 1: port: 70000 is out of range 1-65535`},
		{"concurrency negative", "concurrency: -1", `lambda.yaml: line 1: concurrency: -1 is out of range 0-1000`},
		{"min above max", "max_instances: 2\nmin_instances: 5", `lambda.yaml: line 2: min_instances: 5 is above max_instances 2`},
		{"env not a mapping", "env: [A=1]", `lambda.yaml: line 1: env: must be a mapping of NAME: value, not a list`},
		{"env bad name", "env:\n  1X: y", `lambda.yaml: line 2: env.1X: environment variable name "1X" is invalid: use letters, digits and _, not starting with a digit`},
		{"env nested", "env:\n  A:\n    b: c", `lambda.yaml: line 3: env.A: must be a single value, not a mapping; quote it to pass text`},
		{"env duplicate", "env:\n  A: 1\n  A: 2", `lambda.yaml: line 3: env.A: is set twice: keep one`},
		{"schedules not a list", "schedules: hourly", `lambda.yaml: line 1: schedules: must be a list of entries like "- cron: '0 * * * *'", not "hourly"`},
		{"schedule without cron", "schedules:\n  - data: {}", `lambda.yaml: line 2: schedules[0]: has no cron: add e.g. cron: "0 * * * *" (every hour)`},
		{"schedule unknown key", "schedules:\n  - cron: '@daily'\n    timezone: UTC", `lambda.yaml: line 3: unknown key "schedules[0].timezone": use cron, data, tz, overlap`},
		{"schedule typo", "schedules:\n  - crom: '@daily'", `lambda.yaml: line 2: unknown key "schedules[0].crom": did you mean "cron"?`},
		{"schedule bad overlap", "schedules:\n  - cron: '@daily'\n    overlap: never", `lambda.yaml: line 3: schedules[0].overlap: "never" is invalid: use skip, queue or allow`},
		{"schedule not a mapping", "schedules:\n  - '@daily'", `lambda.yaml: line 2: schedules[0]: must be a mapping with cron and optionally data, tz and overlap, not "@daily"`},
		{"data infinity", "schedules:\n  - cron: x\n    data: .inf", `lambda.yaml: line 3: schedules[0].data: .inf cannot be written as JSON`},
		{"data custom tag", "schedules:\n  - cron: x\n    data: !secret abc", `lambda.yaml: line 3: schedules[0].data: tag !secret is not supported: use plain YAML values`},
		{"data complex key", "schedules:\n  - cron: x\n    data: {[a]: 1}", `lambda.yaml: line 3: schedules[0].data: mapping keys must be plain values (merge keys << are not supported)`},
		{"not a mapping", "- name: greet", `lambda.yaml: line 1: the file must be a mapping of keys to values, like "name: greet", not a list`},
		{"plain text", "hello", `lambda.yaml: line 1: the file must be a mapping of keys to values, like "name: greet", not "hello"`},
		{"two documents", "name: a\n---\nname: b", `lambda.yaml: line 2: the file holds more than one YAML document (---): keep one`},
		{"syntax error", "name: a\n  port: 1", `lambda.yaml: line 2: mapping values are not allowed in this context (is it valid YAML?)`},
		{"tab indentation", "env:\n\tA: 1", `lambda.yaml: line 2: found character that cannot start any token (is it valid YAML?)`},
		{"complex key", "? [a]\n: 1", `lambda.yaml: line 1: keys must be plain words, not a list`},
		{"merge key", "name: greet\n<<: {port: 1}", `lambda.yaml: line 2: unknown key "<<": use name, runtime, handler, protocol, port, env, memory, timeout, concurrency, min_instances, max_instances, start_timeout, standby_timeout, auth, max_retries, retry_delay, max_event_age, async_concurrency, on_success, on_failure, placement, schedules, project, functions`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.src))
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error %q", tt.src, m, tt.want)
			}
			if lambda.ErrorCode(err) != lambda.EINVALID {
				t.Errorf("error %v has code %q, want invalid", err, lambda.ErrorCode(err))
			}
			if got := lambda.ErrorMessage(err); got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestParseScheduleOverlap(t *testing.T) {
	for _, overlap := range []string{"skip", "queue", "allow"} {
		m, err := Parse([]byte("schedules:\n  - cron: '@daily'\n    overlap: " + overlap))
		if err != nil {
			t.Fatalf("overlap %s: %v", overlap, err)
		}
		if got := m.Schedules[0].Overlap; got != overlap {
			t.Errorf("overlap %s parsed as %q", overlap, got)
		}
	}
}

// Each tick is an asynchronous invocation: its data must fit in one as
// JSON, where each '<' becomes \u003c, six bytes.
func TestParseScheduleDataLimit(t *testing.T) {
	src := func(n int) []byte {
		return []byte("schedules:\n  - cron: '@daily'\n    data:\n      s: '" + strings.Repeat("<", n) + "'\n")
	}
	if _, err := Parse(src(100_000)); err != nil {
		t.Fatalf("data of 600 KB: %v", err)
	}
	_, err := Parse(src(200_000))
	if want := "lambda.yaml: line 4: schedules[0].data: is over the 1 MB limit of an asynchronous invocation's payload as JSON"; err == nil || err.Error() != want {
		t.Fatalf("data of 1.2 MB: %v, want %s", err, want)
	}
}

func TestParseAliasBomb(t *testing.T) {
	src := "schedules:\n- cron: x\n  data:\n    a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h"} {
		src += "    " + n + ": &" + n + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = n
	}
	_, err := Parse([]byte(src))
	if err == nil || !strings.Contains(err.Error(), "too large or too deeply nested") {
		t.Fatalf("Parse of an alias bomb: %v, want a size error", err)
	}
}

func TestParseTooLarge(t *testing.T) {
	_, err := Parse([]byte("# " + strings.Repeat("x", maxFileSize)))
	if lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), "over 1024 KB") {
		t.Errorf("Parse of a huge file: %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	m, err := Load(dir)
	if m != nil || err != nil {
		t.Fatalf("Load without a manifest = %v, %v; want nil, nil", m, err)
	}
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, []byte("name: greet\nport: 9000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if m, err = Load(dir); err != nil || m.Name != "greet" || m.Port != 9000 {
		t.Fatalf("Load = %+v, %v", m, err)
	}
	if err := os.WriteFile(path, []byte("name: greet\nprot: 9000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(dir)
	if want := path + `: line 2: unknown key "prot": did you mean "port"?`; err == nil || err.Error() != want {
		t.Errorf("Load error %v, want %s", err, want)
	}

	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "lambda.yml"), []byte("name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(other); err == nil || !strings.Contains(err.Error(), "must be called lambda.yaml") {
		t.Errorf("Load with lambda.yml: %v", err)
	}
	if err := os.Mkdir(filepath.Join(other, FileName), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(other); lambda.ErrorCode(err) != lambda.EINVALID {
		t.Errorf("Load of a directory named lambda.yaml: %v", err)
	}
}

// FuzzParse checks that Parse never panics, that every error is an
// EINVALID naming the file, and that whatever it accepts is a valid deploy
// configuration.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"name: greet\nmemory: 256m\ntimeout: 30s\n",
		"env: {A: 1}\nschedules:\n- cron: '@daily'\n  data: {a: [1, 2]}\n",
		"schedules:\n- cron: x\n  data: &a [*a]\n",
		"? [a]\n: 1", "- x", "port: 0x10", "name: x\nmax_retries: 0\nretry_delay: 1s\nmax_event_age: 0\non_failure: y\non_success:", "max_instances: 1\nmin_instances: 2", "\t", "a: &x b\nc: *x",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			if lambda.ErrorCode(err) != lambda.EINVALID || !strings.HasPrefix(err.Error(), FileName+": ") {
				t.Fatalf("error %q (code %s) is not an EINVALID about %s", err, lambda.ErrorCode(err), FileName)
			}
			return
		}
		if m == nil {
			t.Fatal("Parse returned nil, nil")
		}
		if err := m.Config().WithDefaults().Validate(); err != nil {
			t.Fatalf("accepted manifest has an invalid config: %v", err)
		}
		if err := m.Scaling.Apply(lambda.Scaling{}).Validate(); err != nil {
			t.Fatalf("accepted manifest has invalid scaling: %v", err)
		}
		if m.Name != "" && lambda.ValidateName(m.Name) != nil {
			t.Fatalf("accepted invalid name %q", m.Name)
		}
		for _, s := range m.Schedules {
			if strings.TrimSpace(s.Cron) == "" || (s.Data != nil && !json.Valid(s.Data)) {
				t.Fatalf("accepted bad schedule %+v", s)
			}
		}
	})
}

func ptr[T any](v T) *T { return &v }

func durPtr(d time.Duration) *lambda.Duration { return ptr(lambda.Duration(d)) }
