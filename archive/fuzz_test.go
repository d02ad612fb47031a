package archive

import (
	"archive/tar"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzExtract feeds arbitrary bytes to Extract. Whatever the input, nothing
// may appear next to dest, and on success every symlink in dest must resolve
// inside it. Inputs without the gzip magic are gzipped first, so mutations
// reach the tar layer instead of mostly breaking the gzip checksum.
//
// Each run touches the disk, so minimizing dominates a default fuzz run:
// go test -run X -fuzz FuzzExtract -fuzztime 30s -fuzzminimizetime 200x
func FuzzExtract(f *testing.F) {
	seeds := [][]te{
		{reg("main.go", "package main"), dir("bin/"), te{name: "bin/run", body: "x", mode: 0o755}},
		{dir("a/b/"), symlink("a/b/up", ".."), symlink("s", "a/b/up/../../.."), reg("f", "x")},
		{reg("f", "x"), hardlink("h", "f"), symlink("l", "f")},
		{reg("../evil", "x")},
		{reg("/abs", "x")},
		{symlink("l", "../.."), reg("l/x", "x")},
		{symlink("l", "."), reg("l/x", "x")},
		{reg("a", "1"), symlink("a", "/etc")},
		{hardlink("h", "../../etc/passwd")},
		{te{name: "dev", typ: tar.TypeChar}},
	}
	for _, s := range seeds {
		f.Add(rawTar(f, s...))
	}
	f.Add(tgz(f, seeds[0]...))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		sandbox := t.TempDir()
		dest := filepath.Join(sandbox, "dest")
		if err := os.Mkdir(dest, 0o755); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			data = gz(t, data)
		}
		_, err := Extract(bytes.NewReader(data), dest, Limits{MaxBytes: 1 << 20, MaxEntries: 64})
		if names, _ := os.ReadDir(sandbox); len(names) != 1 {
			t.Fatalf("wrote outside dest: %v", names)
		}
		if err != nil {
			return
		}
		realDest, err := filepath.EvalSymlinks(dest)
		if err != nil {
			t.Fatal(err)
		}
		err = filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if filepath.IsAbs(target) {
				t.Errorf("%s is an absolute symlink to %s", p, target)
			}
			resolved, err := filepath.EvalSymlinks(p)
			if err != nil {
				return nil // dangling or looping links are harmless
			}
			if resolved != realDest && !strings.HasPrefix(resolved, realDest+string(filepath.Separator)) {
				t.Errorf("%s resolves to %s, outside %s", p, resolved, realDest)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
