package bench

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
