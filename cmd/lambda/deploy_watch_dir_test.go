package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fsnotify/fsnotify"
)

// Which events make a redeploy: what Pack would pack, the ignore files
// (read again at once), new directories (then watched); not chmods, not
// excluded paths nor editors' scratch files.
func TestDirWatchRelevant(t *testing.T) {
	dir := t.TempDir()
	mustWrite := func(rel, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(".lambdaignore", "*.log\nnode_modules\n")
	mustWrite("node_modules/a/index.js", "x")
	d, err := newDirWatch(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	if slices.Contains(d.w.WatchList(), filepath.Join(dir, "node_modules")) {
		t.Error("an excluded directory is watched")
	}
	ev := func(rel string, op fsnotify.Op) fsnotify.Event {
		return fsnotify.Event{Name: filepath.Join(dir, rel), Op: op}
	}
	for _, tc := range []struct {
		ev   fsnotify.Event
		want bool
	}{
		{ev("handler.py", fsnotify.Write), true},
		{ev("handler.py", fsnotify.Chmod), false},
		{ev("handler.py", fsnotify.Remove), true},
		{ev("debug.log", fsnotify.Write), false},
		{ev("node_modules/a/index.js", fsnotify.Write), false},
		{ev(".handler.py.swp", fsnotify.Write), false},
		{ev("handler.py~", fsnotify.Create), false},
	} {
		if got := d.relevant(tc.ev, io.Discard); got != tc.want {
			t.Errorf("%s: relevant = %v, want %v", tc.ev, got, tc.want)
		}
	}
	// A new directory is a change, and is watched from then on.
	mustWrite("lib/sub/util.py", "x")
	if !d.relevant(ev("lib", fsnotify.Create), io.Discard) {
		t.Error("a new directory is not a change")
	}
	for _, sub := range []string{"lib", "lib/sub"} {
		if !slices.Contains(d.w.WatchList(), filepath.Join(dir, sub)) {
			t.Errorf("%s is not watched: %v", sub, d.w.WatchList())
		}
	}
	// The ignore file changed: its new patterns apply at once.
	mustWrite(".lambdaignore", "node_modules\n")
	if !d.relevant(ev(".lambdaignore", fsnotify.Write), io.Discard) {
		t.Error("a change of .lambdaignore is not a change")
	}
	if !d.relevant(ev("debug.log", fsnotify.Write), io.Discard) {
		t.Error("debug.log is still ignored after .lambdaignore stopped excluding it")
	}
}
