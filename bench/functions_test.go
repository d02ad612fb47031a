package bench

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// unpack writes a function archive into a new directory.
func unpack(t *testing.T, archive []byte) string {
	t.Helper()
	dir := t.TempDir()
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		if err := os.WriteFile(filepath.Join(dir, hdr.Name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if len(names) != 2 || names[0] != "go.mod" || names[1] != "main.go" {
		t.Fatalf("archive holds %v, want go.mod and main.go", names)
	}
	return dir
}

// The stdio function must answer StdioInput with exactly StdioOutput: the
// bench checks every answer against it.
func TestStdioFunctionAnswer(t *testing.T) {
	code, err := StdioFunction()
	if err != nil {
		t.Fatal(err)
	}
	dir := unpack(t, code)
	bin := filepath.Join(t.TempDir(), "stdio")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the stdio function: %v\n%s", err, out)
	}
	run := exec.Command(bin)
	run.Stdin = bytes.NewReader(StdioInput)
	out, err := run.Output()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, StdioOutput) {
		t.Errorf("the stdio function answered %q, want %q", out, StdioOutput)
	}
}

func TestHTTPFunctionArchive(t *testing.T) {
	code, err := HTTPFunction()
	if err != nil {
		t.Fatal(err)
	}
	dir := unpack(t, code)
	mod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	if !bytes.HasPrefix(mod, []byte("module example.com/benchhttp\n")) {
		t.Errorf("go.mod = %q", mod)
	}
}

// The http function answers ClockEvent with the time it received it, and
// anything else, a GET or another event, with its no-op body.
func TestHTTPFunctionAnswers(t *testing.T) {
	code, err := HTTPFunction()
	if err != nil {
		t.Fatal(err)
	}
	dir := unpack(t, code)
	bin := filepath.Join(t.TempDir(), "http")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the http function: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	run := exec.Command(bin)
	run.Env = append(os.Environ(), "PORT="+port)
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { run.Process.Kill(); run.Wait() }()

	call := func(method string, body []byte) []byte {
		t.Helper()
		var resp *http.Response
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			req, _ := http.NewRequest(method, "http://127.0.0.1:"+port+"/", bytes.NewReader(body))
			if resp, err = http.DefaultClient.Do(req); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %q: status %d", method, body, resp.StatusCode)
		}
		return b
	}
	before := time.Now()
	received, err := parseClock(call(http.MethodPost, ClockEvent))
	if err != nil || received.Before(before) || received.After(time.Now()) {
		t.Errorf("the clock event was received at %v (%v), want between %v and now", received, err, before)
	}
	for _, tc := range []struct {
		method string
		body   []byte
	}{{http.MethodGet, nil}, {http.MethodPost, noopEvent}, {http.MethodPost, []byte(`{"clock":false}`)}} {
		if got := call(tc.method, tc.body); string(got) != "ok" {
			t.Errorf("%s %q answered %q, want ok", tc.method, tc.body, got)
		}
	}
}
