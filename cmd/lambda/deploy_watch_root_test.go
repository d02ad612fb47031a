package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The watched directory itself removed (rm -rf, or renamed away): the
// watcher can see nothing more, so the watch ends with an error that says
// so, instead of waiting for changes that can never come.
func TestDirWatchRootRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fn")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "index.js"), []byte("x"), 0o644)
	d, err := newDirWatch(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a bound, not an assertion
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.run(ctx, io.Discard, func() {}) }()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), dir+" was removed") {
			t.Fatalf("run ended with %v, want the directory's removal", err)
		}
	case <-ctx.Done():
		t.Fatal("the watch went on after its directory was removed")
	}
}
