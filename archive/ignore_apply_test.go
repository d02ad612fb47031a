package archive

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	lambda "github.com/lambdahq/lambda"
)

// A tree the server got itself (a clone) keeps exactly what Pack would
// have packed from the same directory: same files, links, modes and
// directories, exceptions included.
func TestApplyIgnoreMatchesPack(t *testing.T) {
	files := map[string]string{
		".dockerignore":             ".git\n*.env\n**/*.tmp\n",
		".lambdaignore":             "node_modules\n!node_modules/keep\ndocs/*.md\n!docs/a.md\n**/test_*\ncache\n!**/important.txt\n/secret.env\nbuild/\n",
		"main.go":                   "package main",
		"bin/run":                   "x:#!/bin/sh",
		"link":                      "->main.go",
		"secret.env":                "TOKEN=1",
		"config/prod.env":           "X=1",
		"config/x.tmp":              "tmp",
		".git/config":               "[core]",
		"node_modules/dep/index.js": "dep",
		"node_modules/keep/k.js":    "keep",
		"node_modules/other/o.js":   "o",
		"docs/a.md":                 "a",
		"docs/b.md":                 "b",
		"sub/deep/test_x.txt":       "t",
		"sub/deep/keep.txt":         "k",
		"cache/x/y/important.txt":   "i",
		"cache/x/y/junk.bin":        "j",
		"cache/z/junk.bin":          "j",
		"build/out.bin":             "big",
		"empty/":                    "",
	}
	src := t.TempDir()
	writeTree(t, src, files)
	var buf bytes.Buffer
	_, err := Pack(src, &buf, PackOptions{})
	mustNil(t, err)
	packed := t.TempDir()
	_, err = Extract(bytes.NewReader(buf.Bytes()), packed, Limits{})
	mustNil(t, err)

	cloned := t.TempDir()
	writeTree(t, cloned, files)
	mustNil(t, ApplyIgnore(cloned))
	got, want := readTree(t, cloned), readTree(t, packed)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tree after ApplyIgnore:\n got %q\nwant %q", keys(got), keys(want))
	}
	if _, ok := got["secret.env"]; ok {
		t.Error("secret.env survived")
	}
}

func TestApplyIgnoreEdges(t *testing.T) {
	t.Run("no ignore files", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"a.js": "a", ".git/x": "x"})
		mustNil(t, ApplyIgnore(dir))
		if got := readTree(t, dir); len(got) != 3 {
			t.Errorf("tree changed: %q", keys(got))
		}
	})
	t.Run("everything ignored", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{".lambdaignore": "*\n", "a.js": "a"})
		wantCode(t, ApplyIgnore(dir), lambda.EINVALID, "no files to deploy")
	})
	t.Run("invalid pattern", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{".lambdaignore": "[\n", "a.js": "a"})
		wantCode(t, ApplyIgnore(dir), lambda.EINVALID, "invalid pattern")
	})
}

// FuzzApplyIgnore: whatever ignore files a tree holds (they are untrusted
// in a cloned repository), ApplyIgnore keeps exactly what Pack would pack,
// or both refuse the tree.
func FuzzApplyIgnore(f *testing.F) {
	for _, seed := range []string{"", "*\n", "node_modules\n!node_modules/keep\n", "**/*.tmp\n!a/**\n", "[\n", "/\n", "!\n", "a/../b\n", "\\\n"} {
		f.Add(seed)
	}
	files := map[string]string{
		"index.js": "x", "a/b.tmp": "t", "a/c/d.js": "d", "node_modules/keep/k.js": "k",
		"node_modules/x/y.js": "y", "link": "->index.js", "empty/": "",
	}
	f.Fuzz(func(t *testing.T, patterns string) {
		withIgnore := func(dir string) {
			writeTree(t, dir, files)
			mustNil(t, os.WriteFile(filepath.Join(dir, ".lambdaignore"), []byte(patterns), 0o644))
		}
		src := t.TempDir()
		withIgnore(src)
		var buf bytes.Buffer
		_, packErr := Pack(src, &buf, PackOptions{})
		cloned := t.TempDir()
		withIgnore(cloned)
		applyErr := ApplyIgnore(cloned)
		if (packErr == nil) != (applyErr == nil) {
			t.Fatalf("patterns %q: Pack %v, ApplyIgnore %v", patterns, packErr, applyErr)
		}
		if packErr != nil {
			return
		}
		packed := t.TempDir()
		_, err := Extract(bytes.NewReader(buf.Bytes()), packed, Limits{})
		mustNil(t, err)
		if got, want := readTree(t, cloned), readTree(t, packed); !reflect.DeepEqual(got, want) {
			t.Fatalf("patterns %q:\n got %q\nwant %q", patterns, keys(got), keys(want))
		}
	})
}
