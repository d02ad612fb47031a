package archive

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	lambda "github.com/lambdahq/lambda"
)

func TestPackRoundTrip(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{
		".dockerignore":             ".git\n*.env\n**/*.tmp\n",
		".lambdaignore":             "# deps\nnode_modules\n!node_modules/keep\ndocs/*.md\n!docs/a.md\n**/test_*\ncache\n!**/important.txt\n/secret.env\n",
		"main.go":                   "package main",
		"bin/run":                   "x:#!/bin/sh",
		"link":                      "->main.go",
		"secret.env":                "TOKEN=1",
		"config/prod.env":           "X=1", // *.env is anchored at the root
		"config/x.tmp":              "tmp",
		".git/config":               "[core]",
		"node_modules/dep/index.js": "dep",
		"node_modules/keep/k.js":    "keep",
		"docs/a.md":                 "a",
		"docs/b.md":                 "b",
		"docs/img/logo.svg":         "svg",
		"sub/deep/test_x.txt":       "t",
		"sub/deep/keep.txt":         "k",
		"cache/x/y/important.txt":   "i",
		"cache/x/y/junk.bin":        "j",
		"empty/":                    "",
	})
	var buf bytes.Buffer
	res, err := Pack(src, &buf, PackOptions{})
	mustNil(t, err)

	dest := t.TempDir()
	xres, err := Extract(bytes.NewReader(buf.Bytes()), dest, Limits{})
	mustNil(t, err)
	want := map[string]string{
		".dockerignore":           "file 644 .git\n*.env\n**/*.tmp\n",
		".lambdaignore":           "file 644 # deps\nnode_modules\n!node_modules/keep\ndocs/*.md\n!docs/a.md\n**/test_*\ncache\n!**/important.txt\n/secret.env\n",
		"main.go":                 "file 644 package main",
		"bin":                     "dir 755",
		"bin/run":                 "file 755 #!/bin/sh",
		"link":                    "link main.go",
		"node_modules":            "dir 755",
		"node_modules/keep":       "dir 755",
		"node_modules/keep/k.js":  "file 644 keep",
		"docs":                    "dir 755",
		"docs/a.md":               "file 644 a",
		"docs/img":                "dir 755",
		"docs/img/logo.svg":       "file 644 svg",
		"sub":                     "dir 755",
		"sub/deep":                "dir 755",
		"sub/deep/keep.txt":       "file 644 k",
		"cache":                   "dir 755",
		"cache/x":                 "dir 755",
		"cache/x/y":               "dir 755",
		"cache/x/y/important.txt": "file 644 i",
		"config":                  "dir 755",
		"config/prod.env":         "file 644 X=1",
		"empty":                   "dir 755",
	}
	got := readTree(t, dest)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("extracted tree:\n got %q\nwant %q", keys(got), keys(want))
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: got %q, want %q", k, got[k], v)
			}
		}
	}
	if res.Files != 10 || xres.Files != 10 || res.Bytes != xres.Bytes {
		t.Errorf("pack %+v, extract %+v; want 10 files and equal bytes", res, xres)
	}
}

func TestPackDeterministic(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{
		"a.txt": "a", "b/c.txt": "c", "b/d/e.txt": "e", "z": "x:exe", "l": "->a.txt",
		strings.Repeat("long/", 30) + "name.txt": "long path needs PAX",
	})
	pack := func() []byte {
		var buf bytes.Buffer
		_, err := Pack(src, &buf, PackOptions{})
		mustNil(t, err)
		return buf.Bytes()
	}
	first := pack()
	// Timestamps are not part of the archive.
	later := time.Now().Add(time.Hour)
	mustNil(t, os.Chtimes(filepath.Join(src, "a.txt"), later, later))
	mustNil(t, os.Chtimes(filepath.Join(src, "b"), later, later))
	if second := pack(); !bytes.Equal(first, second) {
		t.Fatal("packing the same directory twice gave different bytes")
	}
	mustNil(t, os.WriteFile(filepath.Join(src, "a.txt"), []byte("A"), 0o644))
	if third := pack(); bytes.Equal(first, third) {
		t.Fatal("changed content gave the same bytes")
	}
}

func TestPackRefuses(t *testing.T) {
	base := t.TempDir()
	writeTree(t, base, map[string]string{
		"file.txt":                 "x",
		"empty/":                   "",
		"onlyignore/.lambdaignore": "*\n",
		"allignored/.lambdaignore": "*.js\n",
		"allignored/a.js":          "a",
		"badpattern/.lambdaignore": "[\n",
		"badpattern/a.js":          "a",
	})
	tests := []struct {
		name, dir string
		mention   string
	}{
		{"missing", "nope", "does not exist"},
		{"file", "file.txt", "not a directory"},
		{"empty", "empty", "no files"},
		{"only ignore file", "onlyignore", "no files"},
		{"everything ignored", "allignored", "no files"},
		{"bad pattern", "badpattern", ".lambdaignore"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(base, tt.dir)
			var buf bytes.Buffer
			_, err := Pack(p, &buf, PackOptions{})
			wantCode(t, err, lambda.EINVALID, tt.mention, p)
		})
	}
}

func TestPackSizeLimit(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a": strings.Repeat("a", 600), "b/c": strings.Repeat("c", 600)})
	var buf bytes.Buffer
	_, err := Pack(src, &buf, PackOptions{MaxBytes: 1000})
	wantCode(t, err, lambda.ETOOLARGE, "1200 bytes", "limit of 1000", ".lambdaignore", "largest: a (600 bytes), b (600 bytes)")
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes before failing the size check", buf.Len())
	}
	res, err := Pack(src, &buf, PackOptions{MaxBytes: 1200})
	mustNil(t, err)
	if res.Files != 2 || res.Bytes != 1200 {
		t.Errorf("got %+v, want 2 files of 1200 bytes", res)
	}
}

func TestPackSymlinkedDir(t *testing.T) {
	base := t.TempDir()
	writeTree(t, base, map[string]string{"real/main.go": "package main", "alias": "->real"})
	var buf bytes.Buffer
	res, err := Pack(filepath.Join(base, "alias"), &buf, PackOptions{})
	mustNil(t, err)
	if res.Files != 1 {
		t.Errorf("got %+v, want the file behind the symlinked directory", res)
	}
}
