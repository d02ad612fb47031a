package shim

import (
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		env     []string
		err     string
		addr    string
		timeout time.Duration
		command string
	}{
		{name: "defaults", args: []string{"--protocol", "aws", "--", "/var/task/bootstrap", "-x"},
			addr: ":8080", timeout: 30 * time.Second, command: "/var/task/bootstrap -x"},
		{name: "PORT and timeout from the environment", args: []string{"--protocol=stdio", "cat"},
			env: []string{"PORT=9000", "LAMBDA_FUNCTION_TIMEOUT_MS=1500"}, addr: ":9000", timeout: 1500 * time.Millisecond, command: "cat"},
		{name: "--port beats PORT", args: []string{"--protocol", "handler", "--port", "7000", "--", "node"},
			env: []string{"PORT=9000"}, addr: ":7000", timeout: 30 * time.Second, command: "node"},
		{name: "no protocol", args: []string{"--", "x"}, err: "--protocol is required"},
		{name: "unknown protocol", args: []string{"--protocol", "grpc", "--", "x"}, err: `--protocol "grpc" is not supported: use aws, handler or stdio`},
		{name: "no command", args: []string{"--protocol", "aws"}, err: "no command given"},
		{name: "bad PORT", args: []string{"--protocol", "aws", "x"}, env: []string{"PORT=http"}, err: `PORT="http" is not a port number`},
		{name: "bad port flag", args: []string{"--protocol", "aws", "--port", "0", "x"}, err: "--port 0 is out of range"},
		{name: "bad timeout", args: []string{"--protocol", "aws", "x"}, env: []string{"LAMBDA_FUNCTION_TIMEOUT_MS=-1"}, err: "LAMBDA_FUNCTION_TIMEOUT_MS"},
		{name: "bad concurrency", args: []string{"--protocol", "stdio", "--max-concurrency", "0", "x"}, err: "--max-concurrency 0"},
		{name: "unknown flag", args: []string{"--protocl", "aws", "x"}, err: "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseConfig(tc.args, tc.env, io.Discard)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.addr != tc.addr || cfg.timeout != tc.timeout || strings.Join(cfg.command, " ") != tc.command {
				t.Errorf("got addr %s timeout %s command %q", cfg.addr, cfg.timeout, cfg.command)
			}
			if cfg.runtimeAPI != "127.0.0.1:9001" || cfg.maxConcurrency != 16 {
				t.Errorf("runtime API %s, max concurrency %d", cfg.runtimeAPI, cfg.maxConcurrency)
			}
		})
	}
}

func TestCommandEnv(t *testing.T) {
	environ := []string{"LAMBDA_FUNCTION_NAME=greet", "LAMBDA_FUNCTION_VERSION=2", "LAMBDA_FUNCTION_MEMORY_MB=512",
		"LAMBDA_HANDLER=app.main", "TZ=Europe/Paris", "AWS_LAMBDA_FUNCTION_NAME=stale"}
	fn := functionFromEnv(environ)
	env := commandEnv(environ, fn, "127.0.0.1:9001")
	for k, v := range map[string]string{
		"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AWS_LAMBDA_MAX_CONCURRENCY": "1", "AWS_LAMBDA_FUNCTION_NAME": "greet", "AWS_LAMBDA_FUNCTION_VERSION": "2",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/greet", "LAMBDA_TASK_ROOT": "/var/task",
		"_HANDLER": "app.main", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "TZ": "Europe/Paris",
	} {
		if got, _ := lookupEnv(env, k); got != v {
			t.Errorf("%s=%q, want %q", k, got, v)
		}
	}
	if got, _ := lookupEnv(env, "AWS_LAMBDA_LOG_STREAM_NAME"); got == "" {
		t.Error("no AWS_LAMBDA_LOG_STREAM_NAME")
	}
	if fn.arn != "arn:aws:lambda:us-east-1:000000000000:function:greet" {
		t.Errorf("arn %s", fn.arn)
	}
	if _, ok := lookupEnv(commandEnv(nil, fn, ""), "AWS_LAMBDA_RUNTIME_API"); ok {
		t.Error("stdio commands get no Runtime API")
	}
	fn = functionFromEnv([]string{"AWS_REGION=eu-west-3"})
	if got, _ := lookupEnv(commandEnv([]string{"AWS_REGION=eu-west-3"}, fn, ""), "AWS_DEFAULT_REGION"); got != "eu-west-3" {
		t.Errorf("AWS_DEFAULT_REGION %q", got)
	}
}

func TestCGIEnv(t *testing.T) {
	r := httptest.NewRequest("POST", "/p/q?a=1", strings.NewReader("xyz"))
	r.Header.Set("Content-Type", "text/plain")
	r.Header.Set("X-Forwarded-For", "1.2.3.4")
	r.Header["Weird.Name"] = []string{"w"}
	r.Header.Set("Proxy", "evil")
	r.Header.Set("X-Lambda-Deadline-Ms", "1")
	r.Header.Set("X-Lambda-Client-Context", `{"a":"b"}`)
	env := cgiEnv(nil, r, &invocation{id: "rid", bodyLen: 3, deadline: time.UnixMilli(42), clientContext: `{"a":"b"}`})
	for k, v := range map[string]string{
		"REQUEST_METHOD": "POST", "PATH_INFO": "/p/q", "QUERY_STRING": "a=1", "CONTENT_TYPE": "text/plain", "CONTENT_LENGTH": "3",
		"HTTP_X_FORWARDED_FOR": "1.2.3.4", "HTTP_WEIRD_NAME": "w", "HTTP_HOST": "example.com", "LAMBDA_REQUEST_ID": "rid", "LAMBDA_DEADLINE_MS": "42",
		"LAMBDA_CLIENT_CONTEXT": `{"a":"b"}`,
	} {
		if got, _ := lookupEnv(env, k); got != v {
			t.Errorf("%s=%q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"HTTP_PROXY", "HTTP_CONTENT_TYPE", "HTTP_X_LAMBDA_DEADLINE_MS", "HTTP_X_LAMBDA_CLIENT_CONTEXT"} {
		if _, ok := lookupEnv(env, k); ok {
			t.Errorf("%s must not be set", k)
		}
	}
}

// TestMainProcess runs Main as its own process (the test binary with the
// argument shim-main), for real signals and exit statuses.
func TestMainProcess(t *testing.T) {
	start := func(t *testing.T, args ...string) (*exec.Cmd, string, *syncBuffer) {
		port := strconv.Itoa(freePort(t))
		cmd := exec.Command(os.Args[0], append([]string{"shim-main", "--port", port}, args...)...)
		cmd.Env = append(os.Environ(), "SHIM_TEST_ROLE=runtime", "GORACE=atexit_sleep_ms=0", "PORT=1")
		logs := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, "http://127.0.0.1:" + port, logs
	}
	wait := func(t *testing.T, cmd *exec.Cmd) int {
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
			return cmd.ProcessState.ExitCode()
		case <-time.After(15 * time.Second):
			t.Fatal("the shim did not exit")
			return -1
		}
	}

	t.Run("SIGTERM", func(t *testing.T) {
		cmd, url, logs := start(t, "--protocol", "handler", "--runtime-api", "127.0.0.1:0", "--", os.Args[0])
		s := &shimRun{t: t, url: url, stderr: logs}
		s.waitReady()
		s.do("GET", "/?name=x", "").expect(200)
		cmd.Process.Signal(syscall.SIGTERM)
		if st := wait(t, cmd); st != 0 {
			t.Fatalf("exit status %d, want 0; logs:\n%s", st, logs)
		}
	})
	t.Run("exit status of the function", func(t *testing.T) {
		cmd, url, logs := start(t, "--protocol", "aws", "--runtime-api", "127.0.0.1:0", "--", os.Args[0])
		s := &shimRun{t: t, url: url, stderr: logs}
		s.waitReady()
		s.do("POST", "/", `{"action":"exit","code":"7"}`).expect(502)
		if st := wait(t, cmd); st != 7 {
			t.Fatalf("exit status %d, want 7; logs:\n%s", st, logs)
		}
	})
	t.Run("bad flags", func(t *testing.T) {
		cmd, _, logs := start(t, "--protocol", "soap", "--", "x")
		if st := wait(t, cmd); st != 2 || !strings.Contains(logs.String(), `lambda-shim: --protocol "soap" is not supported`) {
			t.Fatalf("exit status %d, logs:\n%s", st, logs)
		}
	})
}
