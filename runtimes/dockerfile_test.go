package runtimes

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestDockerfileContext(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // every entry of the context
	}{
		{
			name: "directory as is",
			files: map[string]string{
				"Dockerfile":     "FROM busybox:latest\nCOPY . /app\n",
				"app/server.sh":  "#!/bin/sh\n",
				"app/link":       "->server.sh",
				"app/outside":    "->/etc/passwd", // stored as a link, never followed
				"static/a.html":  "<p>a</p>",
				".hidden/config": "x=1",
			},
			want: []string{".hidden/", ".hidden/config", "Dockerfile", "app/", "app/link", "app/outside", "app/server.sh", "static/", "static/a.html"},
		},
		{
			name: "dockerignore honoured",
			files: map[string]string{
				"Dockerfile":            "FROM busybox:latest\n",
				".dockerignore":         "*.log\nsecret\nDockerfile\n.dockerignore\nnode_modules\n!node_modules/keep.txt\n",
				"app.sh":                "echo\n",
				"debug.log":             "noise",
				"secret/key":            "k",
				"node_modules/x":        "x",
				"node_modules/keep.txt": "keep",
			},
			want: []string{".dockerignore", "Dockerfile", "app.sh", "node_modules/keep.txt"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.files)
			rt, err := NewRegistry(&fakeDriver{}).Detect(dir, "")
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			rc, err := rt.Context(context.Background(), dir, lambda.Config{}, &out)
			if err != nil {
				t.Fatal(err)
			}
			entries := readContext(t, rc)
			var names []string
			for name := range entries {
				names = append(names, name)
			}
			sort.Strings(names)
			if strings.Join(names, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("context holds\n  %v\nwant\n  %v", names, tt.want)
			}
			for name, e := range entries {
				if e.hdr.Uid != 0 || e.hdr.Gid != 0 || e.hdr.Uname != "" {
					t.Errorf("%s is owned by %d:%d %q, want root", name, e.hdr.Uid, e.hdr.Gid, e.hdr.Uname)
				}
				if src, ok := tt.files[name]; ok {
					if strings.HasPrefix(src, "->") {
						if e.hdr.Typeflag != tar.TypeSymlink || e.hdr.Linkname != src[2:] {
							t.Errorf("%s: type %c link %q, want a symlink to %q", name, e.hdr.Typeflag, e.hdr.Linkname, src[2:])
						}
					} else if string(e.data) != src {
						t.Errorf("%s holds %q, want %q", name, e.data, src)
					}
				}
			}
			if !strings.Contains(out.String(), "dockerfile") {
				t.Errorf("no progress line written: %q", out.String())
			}
		})
	}
}

func TestDockerfileContextBadIgnoreFile(t *testing.T) {
	dir := writeTree(t, map[string]string{"Dockerfile": "FROM scratch\n", ".dockerignore": "[\n"})
	_, err := (&dockerfileRuntime{}).Context(context.Background(), dir, lambda.Config{}, nil)
	wantCode(t, err, lambda.EINVALID)
	if !strings.Contains(err.Error(), ".dockerignore") {
		t.Fatalf("error %q does not name .dockerignore", err)
	}
}

// Closing a context before reading it all must not leak the goroutine
// writing it nor block, and must run the cleanup.
func TestContextCloseEarly(t *testing.T) {
	dir := writeTree(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	if err := os.WriteFile(filepath.Join(dir, "big"), bytes.Repeat([]byte("x"), 4<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	rc, err := (&dockerfileRuntime{}).Context(context.Background(), dir, lambda.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(rc, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	rc.Close()

	cleaned := false
	s := streamTar(func(tw *tar.Writer) error {
		return addBytes(tw, "a", bytes.Repeat([]byte("y"), 1<<20), 0o644)
	}, func() { cleaned = true })
	s.Close()
	if !cleaned {
		t.Fatal("Close did not run the cleanup")
	}
}

func FuzzDockerignore(f *testing.F) {
	f.Add("*.log\n!keep.log\n", "a/keep.log")
	f.Add("**/secret\n", "x/y/secret/z")
	f.Add("[\n", "a")
	f.Fuzz(func(t *testing.T, ignore, path string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte(ignore), 0o644); err != nil {
			t.Fatal(err)
		}
		skip, err := dockerignore(dir)
		if err != nil {
			if lambda.ErrorCode(err) != lambda.EINVALID {
				t.Fatalf("bad .dockerignore gave %v, want EINVALID", err)
			}
			return
		}
		if skip == nil {
			return
		}
		skip(path, false)
		for _, keep := range []string{"Dockerfile", ".dockerignore"} {
			if s, _ := skip(keep, false); s {
				t.Fatalf("%s skipped by .dockerignore %q", keep, ignore)
			}
		}
	})
}
