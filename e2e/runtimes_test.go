package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var prepareOnce sync.Once

// prepareRuntimes makes the runtimes' base images available once per run,
// as CI does: pulled where a registry answers, assembled locally otherwise.
func prepareRuntimes(t *testing.T, s *server) {
	t.Helper()
	prepareOnce.Do(func() {
		res := s.lambda("runtimes", "prepare")
		if res.code != 0 {
			t.Fatalf("lambda runtimes prepare: exit %d\n%s", res.code, res.stderr)
		}
	})
	res := s.mustLambda("runtimes", "-o", "json")
	if !strings.Contains(res.stdout, `"present": true`) {
		t.Fatalf("no base image present after prepare: %s", res.stdout)
	}
}

// TestHandlerRuntimes deploys a Python and a Node handler, each with a
// dependency, and calls them by subdomain, by path and by CLI.
func TestHandlerRuntimes(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	for _, tc := range []struct{ name, dir, runtime, errorType string }{
		{"py", "testdata/python-hello", "python", "ValueError"},
		{"js", "testdata/node-hello", "node", "Error"},
	} {
		t.Run(tc.runtime, func(t *testing.T) {
			t.Parallel()
			s := sharedServer(t)
			tc.name = s.fn(tc.name)
			s.mustLambda("deploy", tc.dir, "--name", tc.name)
			const hello = `{"message": "Hello, World!"}`
			checkJSON(t, "by subdomain", s.get(s.host(tc.name), "/?name=World"), hello)
			checkJSON(t, "by path", s.get("", "/fn/"+tc.name+"?name=World"), hello)
			checkJSON(t, "by CLI", s.mustLambda("invoke", tc.name, "--data", `{"name": "World"}`).stdout, hello)

			// The request is in the context; the query joins a JSON body.
			resp, body := s.request("POST", s.host(tc.name), "/some/path?context=1&x=y", []byte(`{"name":"Body"}`))
			var ctx struct {
				FunctionName string `json:"function_name"`
				InvocationID string `json:"invocation_id"`
				RemainingOK  bool   `json:"remaining_ms_positive"`
				Request      struct {
					Method string            `json:"method"`
					Path   string            `json:"path"`
					Query  map[string]string `json:"query"`
				} `json:"request"`
			}
			if err := json.Unmarshal([]byte(body), &ctx); err != nil || resp.StatusCode != 200 {
				t.Fatalf("context: %d %v %s", resp.StatusCode, err, body)
			}
			if ctx.FunctionName != tc.name || ctx.InvocationID == "" || !ctx.RemainingOK || ctx.Request.Method != "POST" || ctx.Request.Path != "/some/path" || ctx.Request.Query["x"] != "y" {
				t.Errorf("context %+v", ctx)
			}

			// A returned statusCode object is an HTTP response.
			resp, body = s.request("GET", s.host(tc.name), "/?status=201&name=Ada", nil)
			if resp.StatusCode != 201 || resp.Header.Get("X-Fixture") == "" || !strings.Contains(body, "Hello, Ada!") {
				t.Errorf("status mapping: %d %v %q", resp.StatusCode, resp.Header, body)
			}

			// An exception: 500, errorMessage and errorType, the marker header.
			resp, body = s.request("GET", s.host(tc.name), "/?fail=boom", nil)
			if resp.StatusCode != 500 || resp.Header.Get("X-Lambda-Function-Error") != "Unhandled" ||
				!strings.Contains(body, `"errorMessage"`) || !strings.Contains(body, "boom") || !strings.Contains(body, tc.errorType) {
				t.Errorf("exception: %d %v %s", resp.StatusCode, resp.Header, body)
			}
			res := s.lambda("invoke", tc.name, "--data", `{"fail":"boom"}`)
			if res.code == 0 || !strings.Contains(res.stdout, "boom") {
				t.Errorf("invoke of a failing handler: %+v", res)
			}
			s.mustLambda("delete", tc.name)
		})
	}
}

// checkJSON compares two JSON documents by value.
func checkJSON(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("%s: not JSON: %q", what, got)
		return
	}
	_ = json.Unmarshal([]byte(want), &w)
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("%s: got %s, want %s", what, gb, wb)
	}
}

func (s *server) get(host, path string) string {
	s.t.Helper()
	resp, body := s.request("GET", host, path, nil)
	if resp.StatusCode != 200 {
		s.t.Errorf("GET %s (Host %s): %d %s", path, host, resp.StatusCode, body)
	}
	return body
}

// TestGoSDK deploys the SDK examples: the lifecycle one (Init, workers,
// Stop) and RunFunc.
func TestGoSDK(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	sdkAdd, sdkLife := s.fn("sdk-add"), s.fn("sdk-life")

	s.mustLambda("deploy", "../examples/sdk-add", "--name", sdkAdd)
	if res := s.mustLambda("describe", sdkAdd, "-o", "json"); !strings.Contains(res.stdout, `"protocol": "handler"`) {
		t.Errorf("sdk-add protocol: %s", res.stdout)
	}
	checkJSON(t, "RunFunc by subdomain", s.get(s.host(sdkAdd), "/?a=1.5&b=2"), `3.5`)
	checkJSON(t, "RunFunc by CLI", s.mustLambda("invoke", sdkAdd, "--data", `{"a": 2, "b": 40}`).stdout, `42`)
	if resp, body := s.request("GET", s.host(sdkAdd), "/?a=x&b=2", nil); resp.StatusCode != 400 || !strings.Contains(body, `parameter \"a\"`) {
		t.Errorf("RunFunc bad argument: %d %s", resp.StatusCode, body)
	}

	s.mustLambda("deploy", "../examples/sdk-lifecycle", "--name", sdkLife)
	var words struct {
		Words, Distinct, Served int
		Worker                  int
	}
	for i := 1; i <= 2; i++ {
		body := s.get(s.host(sdkLife), "/?text=The+cat+sat+on+the+mat")
		if err := json.Unmarshal([]byte(body), &words); err != nil {
			t.Fatalf("lifecycle: %v %s", err, body)
		}
		// One worker, created on demand and reused.
		if words.Words != 6 || words.Distinct != 5 || words.Worker != 1 || words.Served != i {
			t.Errorf("lifecycle call %d: %+v", i, words)
		}
	}
	s.mustLambda("delete", sdkAdd)
	s.mustLambda("delete", sdkLife)
}

// TestStdio runs a stdin/stdout command per request inside a warm
// container.
func TestStdio(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	stdio := s.fn("stdio")
	s.mustLambda("deploy", "testdata/stdio-fn", "--name", stdio, "--protocol", "stdio")
	resp, body := s.request("POST", s.host(stdio), "/", []byte(`{"name":"World"}`))
	if resp.StatusCode != 200 || !strings.Contains(body, `"message":"Hello, World!"`) || !strings.Contains(body, `"method":"POST"`) {
		t.Errorf("stdio: %d %s", resp.StatusCode, body)
	}
	checkJSON(t, "stdio by CLI", s.mustLambda("invoke", stdio, "--data", `{"name":"Ada"}`).stdout, `{"message":"Hello, Ada!","method":"POST","bytes":14}`)
	resp, body = s.request("POST", s.host(stdio), "/", []byte(`{"fail":true}`))
	if resp.StatusCode != 502 || !strings.Contains(body, "failing as asked") || !strings.Contains(body, "3") {
		t.Errorf("failing command: %d %s", resp.StatusCode, body)
	}
	// Calls reuse the warm container.
	var d struct{ Instances []struct{ ID string } }
	_ = json.Unmarshal([]byte(s.mustLambda("describe", stdio, "-o", "json").stdout), &d)
	if len(d.Instances) != 1 {
		t.Errorf("%d containers for 4 stdio calls, want 1", len(d.Instances))
	}
	s.mustLambda("delete", stdio)
}

// TestRuntimeBadInput: each mistake fails the deploy with a clear message
// and leaves nothing behind.
func TestRuntimeBadInput(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	bad := s.fn("bad")
	write := func(t *testing.T, files map[string]string) string {
		dir := t.TempDir()
		for name, body := range files {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		args  []string
		want  []string
	}{
		{"missing handler function", map[string]string{"handler.py": "def other(event, context):\n    return 1\n"}, nil, []string{"handler"}},
		{"missing handler file", map[string]string{"lambda.yaml": "handler: app.main\nruntime: python\n", "other.py": "x = 1\n"}, nil, []string{"app"}},
		{"syntax error", map[string]string{"handler.py": "def handler(event, context)\n    return 1\n"}, nil, []string{"SyntaxError"}},
		{"node syntax error", map[string]string{"index.js": "exports.handler = async (event => {\n"}, nil, []string{"SyntaxError"}},
		{"failing requirements", map[string]string{"handler.py": "def handler(e, c):\n    return 1\n", "requirements.txt": "./wheels/missing-1.0-py3-none-any.whl\n"}, nil, []string{"missing-1.0"}},
		{"unknown protocol", map[string]string{"handler.py": "def handler(e, c):\n    return 1\n"}, []string{"--protocol", "carrier-pigeon"}, []string{"carrier-pigeon"}},
		{"bad manifest key", map[string]string{"handler.py": "def handler(e, c):\n    return 1\n", "lambda.yaml": "name: bad\nmemroy: 128m\n"}, nil, []string{"memroy", "line 2"}},
		{"bad manifest value", map[string]string{"handler.py": "def handler(e, c):\n    return 1\n", "lambda.yaml": "timeout: forever\n"}, nil, []string{"timeout", "forever"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := write(t, tc.files)
			res := s.lambda(append([]string{"deploy", dir, "--name", bad}, tc.args...)...)
			if res.code == 0 {
				t.Fatalf("deploy succeeded:\n%s", res.stderr)
			}
			for _, want := range tc.want {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("error lacks %q:\n%s", want, res.stderr)
				}
			}
		})
	}
	if res := s.lambda("describe", bad); res.code == 0 {
		t.Error("a failed deploy registered the function")
	}
	if out := s.containers(bad, true); len(out) != 0 {
		t.Errorf("failed deploys left containers: %s", out)
	}
	if out := docker(t, "images", "-q", "func-"+bad); out != "" {
		t.Errorf("failed deploys left images: %s", out)
	}
}
