//go:build unix

package archive

import (
	"bytes"
	"net"
	"path/filepath"
	"syscall"
	"testing"
)

func TestPackSkipsSpecialFiles(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"main.go": "package main"})
	mustNil(t, syscall.Mkfifo(filepath.Join(src, "fifo"), 0o644))
	// Socket paths are limited to ~100 bytes; a short relative name keeps
	// it under that wherever the temp dir is.
	t.Chdir(src)
	l, err := net.Listen("unix", "sock")
	mustNil(t, err)
	defer l.Close()

	var buf bytes.Buffer
	res, err := Pack(src, &buf, PackOptions{})
	mustNil(t, err)
	dest := t.TempDir()
	_, err = Extract(&buf, dest, Limits{})
	mustNil(t, err)
	if got := keys(readTree(t, dest)); len(got) != 1 || got[0] != "main.go" || res.Files != 1 {
		t.Errorf("packed %v (%+v), want only main.go", got, res)
	}
}
