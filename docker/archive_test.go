package docker

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

func TestScanArchive(t *testing.T) {
	archive, ids := drivertest.ImageArchive(t,
		drivertest.ArchiveImage{Tags: []string{"a:v1", "b:v2"}, Files: []drivertest.File{{Name: "x", Data: []byte("x")}}},
		drivertest.ArchiveImage{Files: []drivertest.File{{Name: "y", Data: []byte("y")}}},
	)
	var got []archiveImage
	var out bytes.Buffer
	err := scanArchive(bytes.NewReader(archive), &out, func(imgs []archiveImage) error { got = imgs; return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []archiveImage{{ID: ids[0], Tags: []string{"a:v1", "b:v2"}}, {ID: ids[1]}}
	if len(got) != 2 || got[0].ID != want[0].ID || !slices.Equal(got[0].Tags, want[0].Tags) || got[1].ID != want[1].ID || len(got[1].Tags) != 0 {
		t.Errorf("scanArchive found %+v, want %+v", got, want)
	}
	if names, orig := tarNames(t, out.Bytes()), tarNames(t, archive); !slices.Equal(names, orig) {
		t.Errorf("copied entries %q, want %q", names, orig)
	}
}

func TestScanArchiveRefusesBeforeTheEnd(t *testing.T) {
	archive, _ := drivertest.ImageArchive(t, drivertest.ArchiveImage{Tags: []string{"a:v1"}})
	refused := lambda.Errorf(lambda.ECONFLICT, "no")
	var out bytes.Buffer
	err := scanArchive(bytes.NewReader(archive), &out, func([]archiveImage) error { return refused })
	if !errors.Is(err, refused) {
		t.Fatalf("scanArchive = %v, want the check's error", err)
	}
	// Without the end-of-archive marker (and with the request body broken
	// off by the pipe's error) the daemon cannot finish a load.
	if bytes.HasSuffix(out.Bytes(), make([]byte, 1024)) {
		t.Fatal("the copy of a refused archive ends with the end-of-archive marker")
	}
	out.Reset()
	if err := scanArchive(bytes.NewReader(archive), &out, func([]archiveImage) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(out.Bytes(), make([]byte, 1024)) {
		t.Fatal("the copy of an accepted archive lacks the end-of-archive marker")
	}
}

func TestScanArchiveErrors(t *testing.T) {
	legacy := drivertest.Tar(t, drivertest.File{Name: "repositories", Data: []byte(`{"old":{"v1":"abc"}}`)})
	tests := []struct {
		name    string
		archive []byte
		want    string
		tags    []string
	}{
		{"empty", nil, "not a docker save archive: the file is empty", nil},
		{"text", []byte("hello"), "not a docker save archive: it is not a tar file (unexpected EOF)", nil},
		{"bzip2", []byte("BZh91AY&SY"), "not a docker save archive: it is compressed with bzip2, xz or zstd: decompress it or use gzip", nil},
		{"no manifest", drivertest.Tar(t, drivertest.File{Name: "a.txt"}), `not a docker save archive: it has no manifest.json; create one with "docker save IMAGE -o FILE.tar"`, nil},
		{"bad manifest", drivertest.Tar(t, drivertest.File{Name: "manifest.json", Data: []byte("[")}), "not a docker save archive: its manifest.json is invalid: unexpected end of JSON input", nil},
		{"empty manifest", drivertest.Tar(t, drivertest.File{Name: "manifest.json", Data: []byte("[]")}), "not a docker save archive: its manifest.json lists no image", nil},
		{"huge manifest", drivertest.Tar(t, drivertest.File{Name: "manifest.json", Data: make([]byte, maxArchiveMeta+1)}), "not a docker save archive: its manifest.json is over 1024 KB", nil},
		{"legacy repositories", legacy, "", []string{"old:v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tags []string
			err := scanArchive(bytes.NewReader(tt.archive), io.Discard, func(imgs []archiveImage) error { tags = imgs[0].Tags; return nil })
			if tt.want == "" {
				if err != nil || !slices.Equal(tags, tt.tags) {
					t.Errorf("scanArchive = %v, tags %q; want tags %q", err, tags, tt.tags)
				}
				return
			}
			if lambda.ErrorCode(err) != lambda.EINVALID || err.Error() != tt.want {
				t.Errorf("scanArchive error = %v, want EINVALID %q", err, tt.want)
			}
		})
	}
}

func TestConfigID(t *testing.T) {
	h := strings.Repeat("ab", 32)
	for in, want := range map[string]string{h + ".json": "sha256:" + h, "blobs/sha256/" + h: "sha256:" + h, "x.json": "", "": ""} {
		if got := configID(in); got != want {
			t.Errorf("configID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsFunctionImage(t *testing.T) {
	for tag, want := range map[string]bool{"func-greet:v1": true, "docker.io/library/func-x": true, "me/func-x:1": true, "funcy:1": false, "greet:func-1": false, "Bad Tag": false} {
		if got := isFunctionImage(tag); got != want {
			t.Errorf("isFunctionImage(%q) = %v, want %v", tag, got, want)
		}
	}
}

func FuzzScanArchive(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("garbage"))
	f.Add([]byte{0x1f, 0x8b, 8, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		err := scanArchive(bytes.NewReader(data), io.Discard, func([]archiveImage) error { return nil })
		if err != nil && (lambda.ErrorCode(err) != lambda.EINVALID || !strings.HasPrefix(err.Error(), "not a docker save archive: ")) {
			t.Fatalf("scanArchive error %v is not an EINVALID about the archive", err)
		}
	})
}

func tarNames(t *testing.T, b []byte) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		names = append(names, hdr.Name)
	}
}
