package archive

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func BenchmarkExtract(b *testing.B) {
	data := tgz(b, reg("main.go", "package main"), dir("bin/"), te{name: "bin/run", body: "x", mode: 0o755}, symlink("l", "main.go"))
	base := b.TempDir()
	for i := 0; b.Loop(); i++ {
		dest := filepath.Join(base, strconv.Itoa(i))
		mustNil(b, os.Mkdir(dest, 0o755))
		if _, err := Extract(bytes.NewReader(data), dest, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
