package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// The server's extraction applies the tree's ignore files: a tree cloned
// from git deploys what lambda deploy DIR would have packed.
func TestExtractAppliesIgnore(t *testing.T) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range map[string]string{
		".lambdaignore":  "**/*.env\nnode_modules\n",
		"index.js":       "exports.handler = async () => 1",
		"prod.env":       "TOKEN=secret",
		"node_modules/x": "dep",
		"lib/keep.js":    "keep",
		"lib/not.env":    "X=1",
	} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	dest := t.TempDir()
	if _, err := extract(&buf, dest); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{".lambdaignore": true, "index.js": true, "lib/keep.js": true, "prod.env": false, "node_modules": false, "lib/not.env": false} {
		_, err := os.Lstat(filepath.Join(dest, name))
		if got := err == nil; got != want {
			t.Errorf("%s present: %v, want %v", name, got, want)
		}
	}
}
