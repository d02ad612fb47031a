package archive

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lambda "github.com/lambdahq/lambda"
)

// zipOf builds a zip of name → content; a name ending in "@" is a symlink
// to its content, one ending in "*" an executable file.
func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		h := &zip.FileHeader{Name: strings.TrimRight(name, "@*"), Method: zip.Deflate}
		switch {
		case strings.HasSuffix(name, "@"):
			h.SetMode(fs.ModeSymlink | 0o777)
		case strings.HasSuffix(name, "*"):
			h.SetMode(0o755)
		default:
			h.SetMode(0o644)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFromZip(t *testing.T) {
	for _, tc := range []struct {
		name   string
		zip    []byte
		limits ZipLimits
		code   string // "" for success
		msg    string
	}{
		{name: "corrupt", zip: []byte("PK\x03\x04 not a zip"), code: lambda.EINVALID, msg: "Could not unzip uploaded file"},
		{name: "empty", zip: zipOf(t, map[string]string{"dir/": ""}), code: lambda.EINVALID, msg: "no files"},
		{name: "zipped too large", zip: zipOf(t, map[string]string{"a": strings.Repeat("x", 100)}), limits: ZipLimits{MaxZipBytes: 10}, code: lambda.ETOOLARGE, msg: "zipped"},
		{name: "unzipped too large", zip: zipOf(t, map[string]string{"a": strings.Repeat("x", 5000)}), limits: ZipLimits{MaxUnzippedBytes: 4096}, code: lambda.ETOOLARGE, msg: "Unzipped size must be smaller than 4096 bytes"},
		{name: "too many entries", zip: zipOf(t, map[string]string{"a": "1", "b": "2", "c": "3"}), limits: ZipLimits{MaxEntries: 2}, code: lambda.ETOOLARGE, msg: "3 entries"},
		{name: "fine", zip: zipOf(t, map[string]string{"handler.py": "def handler(e, c): return e", "lib/": "", "lib/x.py": ""})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree, err := FromZip(tc.zip, tc.limits, ZipOptions{})
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !tree.Files["handler.py"] || !tree.Files["lib/x.py"] || len(tree.Files) != 2 {
					t.Fatalf("files %v", tree.Files)
				}
				return
			}
			if lambda.ErrorCode(err) != tc.code || !strings.Contains(lambda.ErrorMessage(err), tc.msg) {
				t.Fatalf("err = %v (%s), want %s containing %q", err, lambda.ErrorCode(err), tc.code, tc.msg)
			}
		})
	}
}

// A zip whose headers understate its content is caught while expanding.
func TestFromZipLyingSize(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateRaw(&zip.FileHeader{Name: "big", Method: zip.Store, CompressedSize64: 5000, UncompressedSize64: 10, CRC32: 0})
	w.Write(bytes.Repeat([]byte("x"), 5000))
	zw.Close()
	_, err := FromZip(buf.Bytes(), ZipLimits{MaxUnzippedBytes: 1000}, ZipOptions{})
	if lambda.ErrorCode(err) != lambda.ETOOLARGE && lambda.ErrorCode(err) != lambda.EINVALID {
		t.Fatalf("err = %v, want too large or invalid", err)
	}
}

// The converted tree extracts to the zip's files, modes kept or forced,
// and the same zip always gives the same bytes.
func TestFromZipExtracts(t *testing.T) {
	z := zipOf(t, map[string]string{"bootstrap": "#!/bin/sh", "run*": "x", "data.txt": "hello", "link@": "data.txt"})
	opts := ZipOptions{Executable: []string{"bootstrap"}, Add: map[string][]byte{"Dockerfile": []byte("FROM scratch")}}
	tree, err := FromZip(z, ZipLimits{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := FromZip(z, ZipLimits{}, opts)
	if !bytes.Equal(tree.TarGz, again.TarGz) {
		t.Fatal("two conversions of one zip differ")
	}
	dir := t.TempDir()
	if _, err := Extract(bytes.NewReader(tree.TarGz), dir, Limits{}); err != nil {
		t.Fatal(err)
	}
	for name, exec := range map[string]bool{"bootstrap": true, "run": true, "data.txt": false} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if (st.Mode()&0o111 != 0) != exec {
			t.Errorf("%s mode %v, executable want %v", name, st.Mode(), exec)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "link")); err != nil || string(b) != "hello" {
		t.Fatalf("link reads %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "Dockerfile")); err != nil || string(b) != "FROM scratch" {
		t.Fatalf("added Dockerfile reads %q, %v", b, err)
	}
	if _, err := FromZip(zipOf(t, map[string]string{"Dockerfile": "x"}), ZipLimits{}, opts); lambda.ErrorCode(err) != lambda.EINVALID {
		t.Fatalf("a zip holding a file the server adds: %v, want invalid", err)
	}
}

// An escaping name converts, and Extract refuses it.
func TestFromZipEscapingName(t *testing.T) {
	tree, err := FromZip(zipOf(t, map[string]string{"../evil": "x", "ok": "y"}), ZipLimits{}, ZipOptions{})
	if err != nil {
		return // refused early: fine too
	}
	if _, err := Extract(bytes.NewReader(tree.TarGz), t.TempDir(), Limits{}); lambda.ErrorCode(err) != lambda.EINVALID {
		t.Fatalf("Extract err = %v, want invalid", err)
	}
}

// FuzzFromZip: any bytes as a zip. FromZip never panics, and whatever it
// converts Extract reads, or refuses as invalid or too large.
func FuzzFromZip(f *testing.F) {
	f.Add(zipOf(f, map[string]string{"handler.py": "x", "d/": "", "d/e": "y"}))
	f.Add(zipOf(f, map[string]string{"bootstrap*": "x", "l@": "../../etc/passwd"}))
	f.Add([]byte("PK\x05\x06"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tree, err := FromZip(data, ZipLimits{MaxUnzippedBytes: 1 << 20, MaxEntries: 100}, ZipOptions{})
		if err != nil {
			if c := lambda.ErrorCode(err); c != lambda.EINVALID && c != lambda.ETOOLARGE {
				t.Fatalf("FromZip: %v (%s)", err, c)
			}
			return
		}
		_, err = Extract(bytes.NewReader(tree.TarGz), t.TempDir(), Limits{MaxBytes: 1 << 20})
		if err != nil {
			if c := lambda.ErrorCode(err); c != lambda.EINVALID && c != lambda.ETOOLARGE {
				t.Fatalf("Extract: %v (%s)", err, c)
			}
		}
	})
}
