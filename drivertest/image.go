package drivertest

import (
	"archive/tar"
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// What the test server (testserver/main.go) prints; the fake's default
// handler prints the same lines, so the suite holds both to one protocol.
const (
	StartLine = "drivertest server listening"
	ExitLine  = "drivertest server exiting with code 3"
)

// Dockerfile is the test image's Dockerfile: the static server alone.
const Dockerfile = "FROM scratch\nCOPY server /server\nENTRYPOINT [\"/server\"]\n"

//go:embed testserver/main.go
var serverSource []byte

// The compiled server is cached per test process: compiling takes seconds.
var serverBin struct {
	sync.Mutex
	data []byte
	err  error
	done bool
}

// TestImage returns a build context (a tar stream) for the test server
// image: a static Go HTTP server built with the host toolchain. It serves
// on $PORT; GET /env/NAME answers the value of NAME, GET /id the user and
// group IDs, POST /write?path=P tries to write P (403 when it cannot),
// GET /exit exits with code 3, and anything else is echoed as
// "METHOD PATH BODY". It prints StartLine when it starts.
func TestImage(t testing.TB) (buildContext []byte) {
	t.Helper()
	bin, err := compileServer()
	if err != nil {
		t.Fatalf("compile the test server: %v", err)
	}
	return Tar(t,
		File{Name: "Dockerfile", Data: []byte(Dockerfile)},
		File{Name: "server", Data: bin, Mode: 0o755},
	)
}

func compileServer() ([]byte, error) {
	serverBin.Lock()
	defer serverBin.Unlock()
	if !serverBin.done {
		serverBin.data, serverBin.err = goBuild(serverSource)
		serverBin.done = true
	}
	return serverBin.data, serverBin.err
}

// goBuild compiles a one-file main package into a static Linux binary, in
// a throwaway module so the caller's module and working directory do not
// matter.
func goBuild(src []byte) ([]byte, error) {
	dir, err := os.MkdirTemp("", "drivertest-server-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	files := map[string]string{"go.mod": "module testserver\n\ngo 1.22\n", "main.go": string(src)}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			return nil, err
		}
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goTool, "build", "-trimpath", "-ldflags=-s -w", "-o", "server", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"CGO_ENABLED=0", "GOTOOLCHAIN=local", "GOOS=linux", "GOARCH="+runtime.GOARCH,
		"GOWORK=off", "GOFLAGS=", "GO111MODULE=on")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %w\n%s", err, out)
	}
	return os.ReadFile(filepath.Join(dir, "server"))
}

// File is one entry of a build context made by Tar.
type File struct {
	Name string
	Data []byte
	Mode int64 // 0 means 0644
}

// Tar packs files into an uncompressed tar stream, as the Docker build API
// expects.
func Tar(t testing.TB, files ...File) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Name: f.Name, Mode: mode, Size: int64(len(f.Data)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("tar %s: %v", f.Name, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			t.Fatalf("tar %s: %v", f.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("tar: %v", err)
	}
	return buf.Bytes()
}
