package shim

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startPreinit runs a shim as a pre-initialized instance: the container's
// environment names no function, its task root is dir.
func startPreinit(t *testing.T, dir string, env ...string) (*shimRun, string) {
	t.Helper()
	initAddr := heldPorts.hold(t)
	s := startShimWith(t, protoHandler, func(c *config) {
		c.environ = append([]string{"SHIM_TEST_ROLE=runtime", "GORACE=atexit_sleep_ms=0", "LAMBDA_TASK_ROOT=" + dir, envPreinit + "=1"}, env...)
		c.fn = functionFromEnv(c.environ)
		c.preinit, c.initAddr = true, initAddr
	})
	waitListening(t, initAddr)
	return s, "http://" + initAddr + "/init"
}

// postInit sends an init with env and a tar of files.
func postInit(t *testing.T, url string, env map[string]string, files map[string]string) (int, string) {
	t.Helper()
	return postInitCode(t, url, env, tarOf(t, files))
}

// postInitCode sends an init with env and code, a tar.
func postInitCode(t *testing.T, url string, env map[string]string, code []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	ew, _ := mw.CreateFormField("env")
	_ = json.NewEncoder(ew).Encode(env)
	cw, _ := mw.CreateFormFile("code", "code.tar")
	cw.Write(code)
	mw.Close()
	resp, err := http.Post(url, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func tarOf(t testing.TB, files map[string]string) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(content))
	}
	tw.Close()
	return b.Bytes()
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s after 10s", addr)
}

func TestPreinitServesOneFunctionAndRefusesASecondInit(t *testing.T) {
	dir, marks := t.TempDir(), t.TempDir()
	s, initURL := startPreinit(t, dir, "SHIM_TEST_DIR="+marks)
	// The process (an interpreter) is up before any function is chosen.
	waitMark(t, marks, "preinit-waiting")
	if c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://")); err == nil {
		c.Close()
		t.Fatal("the function port listens before the init: the gateway could reach an instance with no code")
	}
	status, body := postInit(t, initURL, map[string]string{"LAMBDA_FUNCTION_NAME": "greet", "LAMBDA_HANDLER": "app.main", "PORT": "1"},
		map[string]string{"app.py": "first", "lib/util.py": "u"})
	if status != http.StatusNoContent {
		t.Fatalf("init: status %d, want 204: %s; shim logs:\n%s", status, body, s.stderr)
	}
	for name, want := range map[string]string{"app.py": "first", "lib/util.py": "u"} {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != want {
			t.Errorf("%s in the task root: %q, %v; want %q", name, got, err, want)
		}
	}
	r := s.do("POST", "/", `{}`).expect(200).json()
	if env := path(r, "headers", "env"); env != "greet|:UTC|app.main" {
		t.Errorf("the function's environment (name|TZ|handler) = %v, want the init's", env)
	}

	// Another function's init, as the function's own code could send it:
	// refused, and its code never written.
	status, body = postInit(t, initURL, map[string]string{"LAMBDA_FUNCTION_NAME": "other"}, map[string]string{"app.py": "second", "evil.py": "x"})
	if status != http.StatusForbidden || !strings.Contains(body, "initialized already") {
		t.Fatalf("second init: status %d %s, want 403", status, body)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "app.py")); string(got) != "first" {
		t.Errorf("app.py after a second init = %q, want the first init's", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "evil.py")); err == nil {
		t.Error("the second init's code reached the task root")
	}
	r = s.do("POST", "/", `{}`).expect(200).json()
	if env := path(r, "headers", "env"); env != "greet|:UTC|app.main" {
		t.Errorf("after a second init the environment is %v, want the first init's", env)
	}
}

func TestPreinitInitFailureIsAnswered(t *testing.T) {
	s, initURL := startPreinit(t, t.TempDir())
	status, body := postInit(t, initURL, map[string]string{"SHIM_TEST_INIT": "exit"}, map[string]string{"app.py": "x"})
	if status != http.StatusBadGateway || !strings.Contains(body, "initialisation failed") || !strings.Contains(body, "cannot load config") {
		t.Errorf("init of a function that fails to start: %d %s; want 502 with its output", status, body)
	}
	if st := s.exitStatus(); st != 1 {
		t.Errorf("exit status %d, want 1", st)
	}
}

func TestPreinitRefusedInitStopsTheInstance(t *testing.T) {
	dir := t.TempDir()
	s, initURL := startPreinit(t, dir)
	status, body := postInit(t, initURL, map[string]string{}, map[string]string{"../escape.py": "x"})
	if status != http.StatusBadRequest || !strings.Contains(body, "outside its root") {
		t.Errorf("init with a name outside the root: %d %s, want 400", status, body)
	}
	if st := s.exitStatus(); st != 1 {
		t.Errorf("exit status %d, want 1: an instance with part of a refused init must not serve", st)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape.py")); err == nil {
		t.Error("a file was written outside the task root")
	}
}
