package runtimes

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda/drivertest"
)

// fakeRuntimeAPI serves the Runtime API the shim gives a bootstrap: it
// hands out queued invocations and records what the bootstrap posts.
type fakeRuntimeAPI struct {
	queue   chan invocationSpec
	results chan postedResult
	preinit chan string // the environment /preinit answers with
}

type invocationSpec struct {
	id   string
	body string
}

type postedResult struct {
	path      string // response, error or init/error
	id        string
	body      map[string]any
	raw       string
	errorType string // the Lambda-Runtime-Function-Error-Type header
}

func newFakeRuntimeAPI(t *testing.T, invocations ...invocationSpec) (*fakeRuntimeAPI, string) {
	t.Helper()
	f := &fakeRuntimeAPI{queue: make(chan invocationSpec, len(invocations)), results: make(chan postedResult, 16), preinit: make(chan string, 1)}
	for _, inv := range invocations {
		f.queue <- inv
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case inv := <-f.queue:
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", "4102444800000") // 2100
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:greet")
			if strings.HasSuffix(inv.id, "-cc") { // an Invoke API call with a client context
				w.Header().Set("Lambda-Runtime-Client-Context", testClientContext)
			}
			io.WriteString(w, inv.body)
		case <-r.Context().Done():
		}
	})
	post := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			data, _ := io.ReadAll(r.Body)
			res := postedResult{path: kind, id: r.PathValue("id"), raw: string(data), errorType: r.Header.Get("Lambda-Runtime-Function-Error-Type")}
			json.Unmarshal(data, &res.body)
			w.WriteHeader(http.StatusAccepted)
			f.results <- res
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", post("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", post("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", post("init/error"))
	mux.HandleFunc("GET /2018-06-01/runtime/preinit", func(w http.ResponseWriter, r *http.Request) {
		select {
		case env := <-f.preinit:
			io.WriteString(w, env)
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, strings.TrimPrefix(srv.URL, "http://")
}

// testClientContext is what the fake Runtime API sends invocations whose
// ID ends in -cc as Lambda-Runtime-Client-Context.
const testClientContext = `{"client":{"app_title":"t","installation_id":"i-1"},"custom":{"k":"caf\u00e9"},"env":{"locale":"fr"}}`

// syncBuffer is a bytes.Buffer the process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (f *fakeRuntimeAPI) next(t *testing.T, stderr *syncBuffer) postedResult {
	t.Helper()
	select {
	case res := <-f.results:
		return res
	case <-time.After(20 * time.Second):
		t.Fatalf("the bootstrap posted nothing; its stderr:\n%s", stderr.String())
		return postedResult{}
	}
}

// bootstrapProcess starts the embedded bootstrap with interpreter in a
// task root holding files, skipping when the host lacks the interpreter.
type bootstrapProcess struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan error
}

func startBootstrap(t *testing.T, interpreter, bootstrap, api, handler string, files map[string]string) *bootstrapProcess {
	t.Helper()
	return startBootstrapEnv(t, interpreter, bootstrap, api, files, "_HANDLER="+handler, "AWS_LAMBDA_FUNCTION_NAME=greet")
}

// startBootstrapEnv is startBootstrap with env in place of the handler and
// the function's name.
func startBootstrapEnv(t *testing.T, interpreter, bootstrap, api string, files map[string]string, env ...string) *bootstrapProcess {
	t.Helper()
	drivertest.LookPath(t, interpreter)
	task := writeTree(t, files)
	boot, err := bootstraps.ReadFile(bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), filepath.Base(bootstrap))
	if err := os.WriteFile(script, boot, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, interpreter, script)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "PYTHONDONTWRITEBYTECODE=1",
		"AWS_LAMBDA_RUNTIME_API=" + api, "LAMBDA_TASK_ROOT=" + task,
		"AWS_LAMBDA_FUNCTION_VERSION=7", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
	}
	cmd.Env = append(cmd.Env, env...)
	p := &bootstrapProcess{cmd: cmd, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr, cmd.Stdout = p.stderr, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

// exitCode waits for the process to exit on its own.
func (p *bootstrapProcess) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		p.done <- nil // for the cleanup
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(20 * time.Second):
		t.Fatalf("the bootstrap did not exit; its stderr:\n%s", p.stderr.String())
		return -1
	}
}

// envelope is an invocation in the handler protocol's envelope.
func envelope(event string, request string) string {
	return `{"event":` + event + `,"context":{"function_name":"greet","function_version":"7","invocation_id":"inv-1",` +
		`"deadline_ms":4102444800000,"memory_limit_mb":256,"request":` + request + `}}`
}

const httpRequest = `{"method":"GET","path":"/hi","headers":{"host":"greet.localhost"},"query":{"name":"Ada"},"body":"","isBase64Encoded":false}`

type bootstrapLang struct {
	interpreter, bootstrap, handler, file string
	code                                  string // echoes the event and its context; fails with event.fail
	syntaxError, notAFunction             string
	missingDep                            string
	exceptionType                         string
	marshalFail                           string // returns a value that is not JSON
}

var bootstrapLangs = []bootstrapLang{
	{
		interpreter: "python3", bootstrap: "bootstrap/bootstrap.py", handler: "handler.handler", file: "handler.py",
		code: `def handler(event, context):
    if event.get("fail"):
        raise ValueError(event["fail"])
    if event.get("set"):
        return {1, 2}
    return {"event": event, "function_name": context.function_name, "function_version": context.function_version,
            "invocation_id": context.invocation_id, "aws_request_id": context.aws_request_id,
            "memory_limit_in_mb": context.memory_limit_in_mb, "deadline_ms": context.deadline_ms,
            "remaining": context.get_remaining_time_in_millis() > 0, "request": context.request,
            "client_context": None if context.client_context is None else {
                "custom": context.client_context.custom, "env": context.client_context.env,
                "client": {"app_title": context.client_context.client.app_title,
                           "installation_id": context.client_context.client.installation_id}}}
`,
		syntaxError: "def handler(event, context)\n    return 1\n", notAFunction: "handler = 42\n",
		missingDep: "import requests_not_installed\n\ndef handler(e, c):\n    return 1\n", exceptionType: "ValueError",
	},
	{
		interpreter: "node", bootstrap: "bootstrap/bootstrap.js", handler: "index.handler", file: "index.js",
		code: `exports.handler = async (event, context) => {
  if (event.fail) throw new TypeError(event.fail);
  if (event.set) { const a = {}; a.self = a; return a; }
  return { event, function_name: context.function_name, function_version: context.function_version,
    invocation_id: context.invocation_id, aws_request_id: context.awsRequestId,
    memory_limit_in_mb: context.memory_limit_in_mb, deadline_ms: context.deadline_ms,
    remaining: context.getRemainingTimeInMillis() > 0, request: context.request,
    client_context: context.clientContext === undefined ? null : context.clientContext };
};
`,
		syntaxError: "exports.handler = async (event => {\n", notAFunction: "exports.handler = 42;\n",
		missingDep: "require('left-pad-not-installed');\nexports.handler = () => 1;\n", exceptionType: "TypeError",
	},
}

func TestBootstrapInvocations(t *testing.T) {
	for _, l := range bootstrapLangs {
		t.Run(l.interpreter, func(t *testing.T) {
			api, addr := newFakeRuntimeAPI(t,
				invocationSpec{"inv-1", envelope(`{"name":"Ada"}`, httpRequest)},
				invocationSpec{"inv-2", envelope(`{"fail":"boom"}`, "null")},
				invocationSpec{"inv-3", `{"raw":true}`},
				invocationSpec{"inv-4", envelope(`{"set":true}`, "null")},
				invocationSpec{"inv-5", envelope(`{"name":"again"}`, "null")},
				invocationSpec{"inv-6-cc", envelope(`{}`, "null")},
			)
			p := startBootstrap(t, l.interpreter, l.bootstrap, addr, l.handler, map[string]string{l.file: l.code})

			res := api.next(t, p.stderr)
			if res.path != "response" || res.id != "inv-1" {
				t.Fatalf("first post: %+v\n%s", res, p.stderr)
			}
			want := map[string]any{"event": map[string]any{"name": "Ada"}, "function_name": "greet", "function_version": "7",
				"invocation_id": "inv-1", "aws_request_id": "inv-1", "memory_limit_in_mb": 256.0, "deadline_ms": 4102444800000.0,
				"remaining": true, "client_context": nil}
			for k, v := range want {
				if got, _ := json.Marshal(res.body[k]); string(got) != mustJSON(v) {
					t.Errorf("%s = %s, want %s", k, got, mustJSON(v))
				}
			}
			if req, _ := res.body["request"].(map[string]any); req == nil || req["path"] != "/hi" || req["method"] != "GET" {
				t.Errorf("context.request = %v", res.body["request"])
			}

			res = api.next(t, p.stderr)
			if res.path != "error" || res.id != "inv-2" || res.body["errorMessage"] != "boom" || res.body["errorType"] != l.exceptionType || res.errorType != l.exceptionType {
				t.Fatalf("error post: %+v", res)
			}
			if st, _ := res.body["stackTrace"].([]any); len(st) == 0 {
				t.Errorf("no stack trace in %s", res.raw)
			}
			if !eventually(func() bool { return strings.Contains(p.stderr.String(), "boom") }) {
				t.Errorf("the exception was not logged:\n%s", p.stderr)
			}

			res = api.next(t, p.stderr)
			if res.path != "response" || res.id != "inv-3" || mustJSON(res.body["event"]) != `{"raw":true}` || res.body["request"] != nil {
				t.Fatalf("bare event: %+v", res)
			}
			if res.body["memory_limit_in_mb"] != 128.0 || res.body["function_name"] != "greet" {
				t.Errorf("context of a bare event did not come from the environment: %s", res.raw)
			}

			res = api.next(t, p.stderr)
			if res.path != "error" || res.body["errorType"] != "Runtime.MarshalError" {
				t.Fatalf("unencodable result: %+v", res)
			}

			res = api.next(t, p.stderr)
			if res.path != "response" || res.id != "inv-5" {
				t.Fatalf("the bootstrap did not go on after errors: %+v", res)
			}

			// The Invoke API's client context, as AWS's runtimes give it.
			res = api.next(t, p.stderr)
			wantCC := `{"client":{"app_title":"t","installation_id":"i-1"},"custom":{"k":"café"},"env":{"locale":"fr"}}`
			if res.path != "response" || mustJSON(res.body["client_context"]) != wantCC {
				t.Errorf("context's client context %s, want %s\n%s", mustJSON(res.body["client_context"]), wantCC, p.stderr)
			}
		})
	}
}

func TestBootstrapInitErrors(t *testing.T) {
	for _, l := range bootstrapLangs {
		tests := []struct {
			name      string
			handler   string
			files     map[string]string
			errorType string
			message   []string
		}{
			{name: "missing file", handler: l.handler, files: map[string]string{"other.txt": "x"},
				errorType: "Runtime.ImportModuleError", message: []string{strings.TrimSuffix(l.file, filepath.Ext(l.file))}},
			{name: "missing function", handler: strings.Split(l.handler, ".")[0] + ".nope", files: map[string]string{l.file: l.code},
				errorType: "Runtime.HandlerNotFound", message: []string{"nope"}},
			{name: "not a function", handler: l.handler, files: map[string]string{l.file: l.notAFunction},
				errorType: "Runtime.HandlerNotFound", message: []string{"not a function"}},
			{name: "syntax error", handler: l.handler, files: map[string]string{l.file: l.syntaxError},
				errorType: "SyntaxError", message: []string{l.file}},
			{name: "missing dependency", handler: l.handler, files: map[string]string{l.file: l.missingDep},
				errorType: "Runtime.ImportModuleError", message: []string{"not", "installed"}},
			{name: "malformed handler", handler: "handler", files: map[string]string{l.file: l.code},
				errorType: "Runtime.MalformedHandlerName", message: []string{"file.function"}},
		}
		for _, tt := range tests {
			t.Run(l.interpreter+"/"+tt.name, func(t *testing.T) {
				api, addr := newFakeRuntimeAPI(t)
				p := startBootstrap(t, l.interpreter, l.bootstrap, addr, tt.handler, tt.files)
				res := api.next(t, p.stderr)
				if res.path != "init/error" || res.body["errorType"] != tt.errorType || res.errorType != tt.errorType {
					t.Fatalf("posted %+v, want init/error %s\n%s", res, tt.errorType, p.stderr)
				}
				msg, _ := res.body["errorMessage"].(string)
				for _, part := range tt.message {
					if !strings.Contains(msg, part) {
						t.Errorf("message %q does not contain %q", msg, part)
					}
				}
				if code := p.exitCode(t); code != 1 {
					t.Errorf("exit code %d, want 1", code)
				}
				if !eventually(func() bool { return strings.Contains(p.stderr.String(), tt.errorType) }) {
					t.Errorf("stderr does not report %s:\n%s", tt.errorType, p.stderr)
				}
			})
		}
	}
}

// Node handlers may be synchronous or take a callback, as on AWS.
func TestBootstrapNodeHandlerStyles(t *testing.T) {
	tests := []struct{ name, code, want string }{
		{"sync", "exports.handler = (event) => ({ n: event.n + 1 });\n", `{"n":2}`},
		{"callback", "exports.handler = (event, context, cb) => { setTimeout(() => cb(null, { n: event.n * 10 }), 5); };\n", `{"n":10}`},
		{"promise", "exports.handler = (event) => Promise.resolve(event.n);\n", `1`},
		{"undefined", "exports.handler = () => {};\n", `null`},
		{"esm", "", `"esm"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, addr := newFakeRuntimeAPI(t, invocationSpec{"inv-1", envelope(`{"n":1}`, "null")})
			files := map[string]string{"index.js": tt.code}
			if tt.name == "esm" {
				files = map[string]string{"index.mjs": "export const handler = async () => 'esm';\n"}
			}
			p := startBootstrap(t, "node", "bootstrap/bootstrap.js", addr, "index.handler", files)
			res := api.next(t, p.stderr)
			if res.path != "response" || res.raw != tt.want {
				t.Fatalf("posted %s %q, want response %s\n%s", res.path, res.raw, tt.want, p.stderr)
			}
		})
	}
}

// eventually polls cond for a few seconds: a process's output goes
// through a pipe and may arrive after what it posted.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestBootstrapPreinit: in a pre-initialized instance (LAMBDA_PREINIT=1)
// the bootstrap starts with no handler and no function, asks /preinit for
// the function's environment, and only then loads the handler it names.
func TestBootstrapPreinit(t *testing.T) {
	for _, l := range bootstrapLangs {
		t.Run(l.interpreter, func(t *testing.T) {
			api, addr := newFakeRuntimeAPI(t, invocationSpec{"inv-1", envelope(`{"name":"Ada"}`, "null")})
			file := "late" + filepath.Ext(l.file)
			_, fn, _ := strings.Cut(l.handler, ".")
			p := startBootstrapEnv(t, l.interpreter, l.bootstrap, addr, map[string]string{file: l.code}, "LAMBDA_PREINIT=1")
			select {
			case res := <-api.results:
				t.Fatalf("the bootstrap posted %+v before its init", res)
			case <-time.After(200 * time.Millisecond):
			}
			api.preinit <- mustJSON(map[string]string{"_HANDLER": "late." + fn, "AWS_LAMBDA_FUNCTION_NAME": "chosen"})
			res := api.next(t, p.stderr)
			// The handler's file and name came only with the init.
			if res.path != "response" || res.id != "inv-1" {
				t.Fatalf("after the init the bootstrap posted %+v\n%s", res, p.stderr)
			}
		})
	}
}
