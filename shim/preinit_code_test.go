package shim

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type entry struct {
	name, link, content string
	typ                 byte
}

func tarEntries(t testing.TB, entries ...entry) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Mode: 0o755, Typeflag: e.typ, Size: int64(len(e.content))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.content))
		}
	}
	tw.Close()
	return b.Bytes()
}

func TestExtractCode(t *testing.T) {
	reg := func(name, content string) entry { return entry{name: name, content: content, typ: tar.TypeReg} }
	link := func(name, target string) entry { return entry{name: name, link: target, typ: tar.TypeSymlink} }
	dir := func(name string) entry { return entry{name: name, typ: tar.TypeDir} }
	tests := []struct {
		name    string
		entries []entry
		wantErr string
		want    map[string]string // files read back through the root
	}{
		{"files and directories", []entry{dir("./"), dir("pkg/"), reg("pkg/a.py", "a"), reg("./h.py", "h"), reg("deep/er/x", "x")}, "",
			map[string]string{"pkg/a.py": "a", "h.py": "h", "deep/er/x": "x"}},
		{"a link inside the root", []entry{reg("lib/real.so", "so"), link("lib/alias.so", "real.so")}, "", map[string]string{"lib/alias.so": "so"}},
		{"parent directory name", []entry{reg("../x", "x")}, "outside its root", nil},
		{"climbing name", []entry{reg("a/../../x", "x")}, "outside its root", nil},
		{"absolute name", []entry{reg("/etc/x", "x")}, "outside its root", nil},
		{"absolute link", []entry{link("etc", "/etc")}, "must be relative", nil},
		{"link out of the root", []entry{link("up", "../..")}, "outside its root", nil},
		{"file through a link", []entry{link("here", "."), reg("here/x", "x")}, "below a link", nil},
		// "a" is the root itself; "a/up" to ".." would then be root's parent.
		{"link below a link", []entry{link("a", "."), link("a/up", "..")}, "below a link", nil},
		{"a file twice", []entry{reg("x", "1"), reg("x", "2")}, "exists", nil},
		{"a device", []entry{{name: "null", typ: tar.TypeChar}}, "cannot have", nil},
		{"a hard link", []entry{reg("x", "1"), {name: "y", link: "x", typ: tar.TypeLink}}, "cannot have", nil},
		{"too big", []entry{reg("x", strings.Repeat("x", 2048))}, "over", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "task")
			if err := os.Mkdir(root, 0o755); err != nil {
				t.Fatal(err)
			}
			err := extractCode(bytes.NewReader(tarEntries(t, tt.entries...)), root, 1024)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.want {
				if got, err := os.ReadFile(filepath.Join(root, name)); err != nil || string(got) != want {
					t.Errorf("%s = %q, %v; want %q", name, got, err, want)
				}
			}
		})
	}
	if err := extractCode(strings.NewReader("not a tar at all, not even close......"), t.TempDir(), 1024); err == nil {
		t.Error("garbage was accepted as a tar")
	}
}

// FuzzExtractCode: whatever the tar, nothing is written outside the root.
func FuzzExtractCode(f *testing.F) {
	f.Add(tarEntries(f, entry{name: "a/b", content: "x", typ: tar.TypeReg}))
	f.Add(tarEntries(f, entry{name: "l", link: ".", typ: tar.TypeSymlink}, entry{name: "l/x", content: "x", typ: tar.TypeReg}))
	f.Add(tarEntries(f, entry{name: "d/l", link: "..", typ: tar.TypeSymlink}, entry{name: "d/l/l2", link: "..", typ: tar.TypeSymlink}))
	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		root := filepath.Join(base, "root")
		if err := os.Mkdir(root, 0o755); err != nil {
			t.Fatal(err)
		}
		_ = extractCode(bytes.NewReader(data), root, 1<<20)
		entries, err := os.ReadDir(base)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Fatalf("the extraction wrote beside the root: %v", entries)
		}
		// Every link left in the root resolves inside it.
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.Type()&os.ModeSymlink == 0 {
				return nil
			}
			target, _ := os.Readlink(p)
			resolved := filepath.Join(filepath.Dir(p), target)
			if rel, err := filepath.Rel(root, resolved); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
				t.Fatalf("link %s points outside the root: %s", p, target)
			}
			return nil
		})
	})
}

// TestSealCode: after the init's code is unpacked no file or directory of
// the task root, the root included, keeps a write bit, as an image-built
// instance's read-only task root (found by the hostile pass: a function
// writing to its task root worked after one kind of cold start only).
// The bits are checked, not a write: the tests may run as root.
func TestSealCode(t *testing.T) {
	root := t.TempDir()
	t.Cleanup(func() { // t.TempDir's removal needs them back unless root
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type()&os.ModeSymlink == 0 {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
	code := tarEntries(t,
		entry{name: "lib/", typ: tar.TypeDir},
		entry{name: "lib/util.py", content: "x = 1", typ: tar.TypeReg},
		entry{name: "handler.py", content: "def handler(e, c): pass", typ: tar.TypeReg},
		entry{name: "link.py", link: "handler.py", typ: tar.TypeSymlink})
	if err := extractCode(bytes.NewReader(code), root, 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := sealCode(root); err != nil {
		t.Fatal(err)
	}
	seen := 0
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		seen++
		if fi.Mode()&os.ModeSymlink == 0 && fi.Mode().Perm()&0o222 != 0 {
			t.Errorf("%s: mode %v keeps a write bit", p, fi.Mode())
		}
		if fi.Mode().IsRegular() && fi.Mode().Perm()&0o444 == 0 {
			t.Errorf("%s: mode %v, want it readable", p, fi.Mode())
		}
		return nil
	})
	if seen != 5 {
		t.Errorf("%d entries, want the root and 4", seen)
	}
	if b, err := os.ReadFile(filepath.Join(root, "link.py")); err != nil || string(b) != "def handler(e, c): pass" {
		t.Errorf("the link reads %q, %v", b, err)
	}
}
