package runtimes

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// fakeDriver implements the Driver calls the runtimes make; calling any
// other method panics on the nil embedded interface. Builds are recorded
// (their contexts read) and tag their image.
type fakeDriver struct {
	lambda.Driver
	mu       sync.Mutex
	images   map[string]bool
	pullErr  error
	pulls    int
	builds   []map[string]tarEntry // the contexts built, in order
	buildErr error
	removed  []string
	inspect  map[string]*lambda.Image // what InspectImage answers
}

func (f *fakeDriver) Ping(ctx context.Context) error { return nil }

func (f *fakeDriver) BuildImage(ctx context.Context, req lambda.BuildRequest) (string, error) {
	entries := map[string]tarEntry{}
	tr := tar.NewReader(req.Context)
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		data, _ := io.ReadAll(tr)
		entries[hdr.Name] = tarEntry{hdr, data}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.builds = append(f.builds, entries)
	if f.buildErr != nil {
		return "", f.buildErr
	}
	id := fmt.Sprintf("sha256:built%d", len(f.builds))
	if f.images == nil {
		f.images = map[string]bool{}
	}
	for _, tag := range req.Tags {
		f.images[tag] = true
	}
	f.images[id] = true
	return id, nil
}

func (f *fakeDriver) RemoveImage(ctx context.Context, ref string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, ref)
	return nil
}

// fakeImages answers InspectImage from the driver's inspect map.
type fakeImages struct {
	lambda.ImageDriver
	d *fakeDriver
}

func (f fakeImages) InspectImage(ctx context.Context, ref string) (*lambda.Image, error) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if img, ok := f.d.inspect[ref]; ok {
		return img, nil
	}
	return nil, lambda.Errorf(lambda.ENOTFOUND, "image %s not found", ref)
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
		drivertest.SkipOrFail(t, "no Go toolchain on this host")
	}
	return r
}
