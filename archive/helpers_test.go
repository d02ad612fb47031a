package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	lambda "github.com/lambdahq/lambda"
)

// te is one entry of a hand-made archive.
type te struct {
	name string
	typ  byte // 0 means tar.TypeReg
	body string
	link string
	mode int64
}

func reg(name, body string) te   { return te{name: name, body: body} }
func dir(name string) te         { return te{name: name, typ: tar.TypeDir} }
func symlink(name, to string) te { return te{name: name, typ: tar.TypeSymlink, link: to} }
func hardlink(name, to string) te {
	return te{name: name, typ: tar.TypeLink, link: to}
}

// rawTar writes entries as an uncompressed tar, PAX format so that names
// the ustar format cannot hold still get through.
func rawTar(t testing.TB, entries ...te) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode, Format: tar.FormatPAX}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			hdr = &tar.Header{Typeflag: e.typ, PAXRecords: map[string]string{"comment": e.body}}
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("write header %q: %v", e.name, err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t testing.TB, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tgz(t testing.TB, entries ...te) []byte { return gz(t, rawTar(t, entries...)) }

// writeTree creates files under root; a name ending in "/" is a directory,
// a body starting with "->" a symlink, a body starting with "x:" an
// executable file.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			mustNil(t, os.MkdirAll(p, 0o755))
			continue
		}
		mustNil(t, os.MkdirAll(filepath.Dir(p), 0o755))
		switch {
		case strings.HasPrefix(body, "->"):
			mustNil(t, os.Symlink(body[2:], p))
		case strings.HasPrefix(body, "x:"):
			mustNil(t, os.WriteFile(p, []byte(body[2:]), 0o755))
		default:
			mustNil(t, os.WriteFile(p, []byte(body), 0o644))
		}
	}
}

// readTree lists root as name → description: "dir 755", "file 644 body" or
// "link target".
func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case info.IsDir():
			got[rel] = fmt.Sprintf("dir %o", info.Mode().Perm())
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			got[rel] = "link " + target
		default:
			body, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			got[rel] = fmt.Sprintf("file %o %s", info.Mode()&^fs.ModeType, body)
		}
		return nil
	})
	mustNil(t, err)
	return got
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func mustNil(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails unless err is a *lambda.Error with code and a message
// containing each of parts.
func wantCode(t *testing.T, err error, code string, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := lambda.ErrorCode(err); got != code {
		t.Fatalf("got code %s (%v), want %s", got, err, code)
	}
	for _, p := range parts {
		if !strings.Contains(lambda.ErrorMessage(err), p) {
			t.Errorf("message %q does not mention %q", lambda.ErrorMessage(err), p)
		}
	}
}
