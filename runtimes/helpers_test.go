package runtimes

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lambdahq/lambda"
)

// fakeDriver implements the two Driver calls the runtimes make; calling
// any other method panics on the nil embedded interface.
type fakeDriver struct {
	lambda.Driver
	mu      sync.Mutex
	images  map[string]bool
	pullErr error
	pulls   int
}

func (f *fakeDriver) ImageExists(ctx context.Context, ref string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.images[ref], nil
}

func (f *fakeDriver) PullImage(ctx context.Context, ref string, out io.Writer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pulls++
	if f.pullErr != nil {
		return f.pullErr
	}
	if f.images == nil {
		f.images = map[string]bool{}
	}
	f.images[ref] = true
	return nil
}

// deadRegistry is a driver with no images whose pulls fail.
func deadRegistry() *fakeDriver {
	return &fakeDriver{pullErr: lambda.Errorf(lambda.EUNAVAILABLE, "registry-1.docker.io: no route to host")}
}

// writeTree creates files (path → content) under a new directory. A
// content starting with "->" makes a symlink to the rest.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if len(content) > 2 && content[:2] == "->" {
			err = os.Symlink(content[2:], p)
		} else {
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type tarEntry struct {
	hdr  *tar.Header
	data []byte
}

// readContext reads a whole build context and closes it.
func readContext(t *testing.T, rc io.ReadCloser) map[string]tarEntry {
	t.Helper()
	defer rc.Close()
	entries := map[string]tarEntry{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries
		}
		if err != nil {
			t.Fatalf("reading build context: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading %s from build context: %v", hdr.Name, err)
		}
		entries[hdr.Name] = tarEntry{hdr, data}
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := lambda.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (error: %v)", got, code, err)
	}
}

// newTestRegistry is a registry over d whose host Go is the one running
// the tests, skipping when there is none.
func newTestRegistry(t *testing.T, d lambda.Driver) *Registry {
	t.Helper()
	r := NewRegistry(d)
	if r.HostGo == "" {
		t.Skip("no Go toolchain on this host")
	}
	return r
}
