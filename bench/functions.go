package bench

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"strconv"
)

// The bench functions are ordinary main packages of this module (so the
// toolchain keeps them compiling); they deploy as Go modules of their own.
//
//go:embed functions/http/main.go functions/stdio/main.go
var functions embed.FS

// StdioInput is what the bench sends to the stdio function, and
// StdioOutput what the function answers to it.
var (
	StdioInput  = []byte(`{"bench":true}`)
	StdioOutput = []byte(`{"bytes":` + strconv.Itoa(len(StdioInput)) + "}\n")
)

// HTTPFunction returns the code of the http bench function: a tar.gz of a
// Go module whose main package serves HTTP on $PORT.
func HTTPFunction() ([]byte, error) { return functionArchive("http") }

// StdioFunction returns the code of the stdio bench function: a tar.gz of a
// Go module whose command answers StdioOutput to StdioInput.
func StdioFunction() ([]byte, error) { return functionArchive("stdio") }

func functionArchive(name string) ([]byte, error) {
	src, err := functions.ReadFile("functions/" + name + "/main.go")
	if err != nil {
		return nil, err
	}
	goMod := []byte("module example.com/bench" + name + "\n\ngo 1.22\n")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []struct {
		name string
		data []byte
	}{{"go.mod", goMod}, {"main.go", src}} {
		hdr := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("bench: pack %s: %w", name, err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, fmt.Errorf("bench: pack %s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
