package shim

import (
	"archive/tar"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// startPreinitExec runs a shim for protocol as a generic instance whose
// command, dir/function, arrives with the init (LAMBDA_PREINIT=exec).
func startPreinitExec(t *testing.T, protocol, dir string) (*shimRun, string) {
	t.Helper()
	initAddr := heldPorts.hold(t)
	s := startShimWith(t, protocol, func(c *config) {
		c.environ = append(c.environ, "LAMBDA_TASK_ROOT="+dir, envPreinit+"="+preinitExec, "LAMBDA_FUNCTION_NAME=", "LAMBDA_HANDLER=")
		c.fn = functionFromEnv(c.environ)
		c.command = []string{filepath.Join(dir, "function")}
		c.preinit, c.initAddr = true, initAddr
	})
	waitListening(t, initAddr)
	return s, "http://" + initAddr + "/init"
}

// postExecInit sends an init whose code is an executable "function" that
// runs the test binary (which plays the function, see TestMain).
func postExecInit(t *testing.T, url string, env map[string]string) (int, string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\nexec '" + self + "' \"$@\"\n"
	var code bytes.Buffer
	tw := tar.NewWriter(&code)
	_ = tw.WriteHeader(&tar.Header{Name: "function", Mode: 0o755, Size: int64(len(script)), Typeflag: tar.TypeReg})
	_, _ = tw.Write([]byte(script))
	tw.Close()
	return postInitCode(t, url, env, code.Bytes())
}

func TestPreinitExecStartsTheInitsCommand(t *testing.T) {
	for _, protocol := range []string{protoHandler, protoStdio} {
		t.Run(protocol, func(t *testing.T) {
			dir := t.TempDir()
			s, initURL := startPreinitExec(t, protocol, dir)
			if c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://")); err == nil {
				c.Close()
				t.Fatal("the function port listens before the init: the gateway could reach an instance with no code")
			}
			status, body := postExecInit(t, initURL, map[string]string{"LAMBDA_FUNCTION_NAME": "greet", "LAMBDA_HANDLER": "app.main"})
			if status != http.StatusNoContent {
				t.Fatalf("init: status %d, want 204: %s; shim logs:\n%s", status, body, s.stderr)
			}
			// Ready when the init answered: no wait for the port.
			if protocol == protoStdio {
				r := s.do("POST", "/env", "").expect(200).json()
				if r["AWS_LAMBDA_FUNCTION_NAME"] != "greet" {
					t.Errorf("the command's environment names %v, want the init's function", r["AWS_LAMBDA_FUNCTION_NAME"])
				}
			} else {
				r := s.do("POST", "/", `{}`).expect(200).json()
				if env := path(r, "headers", "env"); env != "greet|:UTC|app.main" {
					t.Errorf("the function's environment (name|TZ|handler) = %v, want the init's", env)
				}
			}
			status, body = postExecInit(t, initURL, map[string]string{"LAMBDA_FUNCTION_NAME": "other"})
			if status != http.StatusForbidden {
				t.Fatalf("second init: status %d %s, want 403", status, body)
			}
		})
	}
}

func TestPreinitExecFailedStartIsAnswered(t *testing.T) {
	s, initURL := startPreinitExec(t, protoHandler, t.TempDir())
	status, body := postExecInit(t, initURL, map[string]string{"SHIM_TEST_INIT": "exit"})
	if status != http.StatusBadGateway || !strings.Contains(body, "cannot load config") {
		t.Errorf("init of a function that fails to start: %d %s; want 502 with its output", status, body)
	}
	if st := s.exitStatus(); st != 1 {
		t.Errorf("exit status %d, want 1", st)
	}
}

func TestParseConfigPreinitStdio(t *testing.T) {
	for value, ok := range map[string]bool{"1": false, preinitExec: true} {
		_, err := parseConfig([]string{"--protocol", "stdio", "--", "/var/task/function"}, []string{envPreinit + "=" + value}, io.Discard)
		if (err == nil) != ok {
			t.Errorf("stdio with LAMBDA_PREINIT=%s: %v, want accepted %v", value, err, ok)
		}
	}
}
