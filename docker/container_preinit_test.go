package docker

import (
	"archive/tar"
	"bytes"
	"io"
	"slices"
	"testing"
)

// TestRebase: Docker's archive of a directory names its entries after the
// directory, which rebase strips; the archive of a file (a Go function's
// /function) holds the file under its base name, which it keeps.
func TestRebase(t *testing.T) {
	tests := []struct {
		name    string
		base    string
		entries []tar.Header
		want    []string
	}{
		{"directory", "task", []tar.Header{
			{Name: "task/", Typeflag: tar.TypeDir, Mode: 0o755},
			{Name: "task/handler.py", Typeflag: tar.TypeReg, Mode: 0o644},
			{Name: "task/lib/", Typeflag: tar.TypeDir, Mode: 0o755},
			{Name: "task/lib/util.py", Typeflag: tar.TypeReg, Mode: 0o644},
		}, []string{"handler.py", "lib/", "lib/util.py"}},
		{"file", "function", []tar.Header{
			{Name: "function", Typeflag: tar.TypeReg, Mode: 0o755},
		}, []string{"function"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in, out bytes.Buffer
			tw := tar.NewWriter(&in)
			for _, h := range tt.entries {
				if err := tw.WriteHeader(&h); err != nil {
					t.Fatal(err)
				}
			}
			tw.Close()
			if err := rebase(&out, &in, tt.base); err != nil {
				t.Fatal(err)
			}
			var got []string
			tr := tar.NewReader(&out)
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, h.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("rebase named the entries %q, want %q", got, tt.want)
			}
		})
	}
}
