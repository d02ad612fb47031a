package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/archive"
)

// dirWatch watches a directory tree for changes that Pack would see:
// every directory Pack may descend into, new ones as they appear, paths
// the ignore files exclude left out.
type dirWatch struct {
	dir string
	w   *fsnotify.Watcher
	ig  *archive.Ignore
}

func newDirWatch(dir string) (*dirWatch, error) {
	ig, err := archive.LoadIgnore(dir)
	if err != nil {
		return nil, err
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	d := &dirWatch{dir: dir, w: w, ig: ig}
	if err := d.addTree(dir); err != nil {
		w.Close()
		return nil, err
	}
	return d, nil
}

func (d *dirWatch) close() { d.w.Close() }

// addTree watches top and the directories below it that Pack may pack.
func (d *dirWatch) addTree(top string) error {
	return filepath.WalkDir(top, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p != top && errors.Is(err, fs.ErrNotExist) {
				return nil // gone since it was listed
			}
			return fmt.Errorf("watch %s: %w", p, err)
		}
		if !e.IsDir() {
			return nil
		}
		if rel := d.rel(p); rel != "." && !d.ig.Descend(rel) {
			return filepath.SkipDir
		}
		if err := d.w.Add(p); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipDir
			}
			return fmt.Errorf("watch %s: %w (on Linux, raise fs.inotify.max_user_watches, or exclude large directories in .lambdaignore)", p, err)
		}
		return nil
	})
}

func (d *dirWatch) rel(p string) string {
	rel, err := filepath.Rel(d.dir, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(rel)
}

// relevant reports whether ev changes what a deploy packs, and watches a
// directory that appeared.
func (d *dirWatch) relevant(ev fsnotify.Event, errOut io.Writer) bool {
	if ev.Op == fsnotify.Chmod {
		return false // touch, a mode bit: the code is the same
	}
	rel := d.rel(ev.Name)
	if archive.IsIgnoreFile(rel) {
		if ig, err := archive.LoadIgnore(d.dir); err != nil {
			fmt.Fprintf(errOut, "%s: %s; keeping the previous patterns\n", rel, lambda.ErrorMessage(err))
		} else {
			d.ig = ig
		}
		return true
	}
	if d.ig.Excluded(rel) || editorScratch(filepath.Base(ev.Name)) {
		return false
	}
	if ev.Has(fsnotify.Create) {
		if fi, err := os.Lstat(ev.Name); err == nil && fi.IsDir() {
			if err := d.addTree(ev.Name); err != nil {
				fmt.Fprintf(errOut, "%v\n", err)
			}
		}
	}
	return true
}

// editorScratch tells the files editors write beside the one being saved
// (vim's swap and 4913 probe, emacs's lock, backups, JetBrains' safe write).
func editorScratch(base string) bool {
	return base == "4913" || strings.HasPrefix(base, ".#") || strings.HasSuffix(base, "~") ||
		strings.HasSuffix(base, ".swp") || strings.HasSuffix(base, ".swx") || strings.HasSuffix(base, ".swo") ||
		strings.HasSuffix(base, "___jb_tmp___") || strings.HasSuffix(base, "___jb_old___")
}

// run calls deploy once after each burst of relevant changes, until ctx
// ends. Changes during a deploy wait in the watcher's queue and make the
// next burst.
func (d *dirWatch) run(ctx context.Context, errOut io.Writer, deploy func()) error {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	pending := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-d.w.Events:
			if !ok {
				return errors.New("the file watcher stopped")
			}
			if filepath.Clean(ev.Name) == filepath.Clean(d.dir) && (ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)) {
				// Its watch is gone with it: no change can be seen any more.
				return fmt.Errorf("%s was removed or renamed: stopped watching (the last version deployed keeps serving); run the command again once it is back", d.dir)
			}
			if d.relevant(ev, errOut) {
				pending = true
				timer.Reset(watchDebounce)
			}
		case err, ok := <-d.w.Errors:
			if !ok {
				return errors.New("the file watcher stopped")
			}
			// An overflow lost events: redeploy to be sure.
			fmt.Fprintf(errOut, "watch: %v\n", err)
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				pending = true
				timer.Reset(watchDebounce)
			}
		case <-timer.C:
			if pending {
				pending = false
				deploy()
			}
		}
	}
}
