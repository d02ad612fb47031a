package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/archive"
	lambdahttp "github.com/lambdahq/lambda/http"
	"github.com/lambdahq/lambda/manifest"
)

// watchOptions are deploy's --watch flags.
type watchOptions struct {
	on     bool // --watch
	noLogs bool // --no-logs
}

func addWatchFlags(cmd *cobra.Command, w *watchOptions) {
	cmd.Flags().BoolVar(&w.on, "watch", false, "after deploying, redeploy DIR on every saved change (honouring .lambdaignore) until Ctrl-C, streaming the function's logs meanwhile")
	cmd.Flags().BoolVar(&w.noLogs, "no-logs", false, "with --watch: do not stream the function's logs between deploys")
}

// watchDebounce is how long the directory must stay quiet after a change
// before the redeploy: an editor's save, a formatter, a git checkout are
// bursts of events, deployed once.
var watchDebounce = 300 * time.Millisecond

// watchStopWait bounds how long Ctrl-C waits for the log stream to end.
const watchStopWait = 5 * time.Second

// runDeployWatch deploys dir, then redeploys it on every change, one line
// a deploy, until ctx ends (Ctrl-C): the end of a watch, not an error. A
// deploy that fails says what failed and the previous version keeps
// serving (the server switches only once a new version is up); the watch
// goes on, so the next save can fix it.
func runDeployWatch(ctx context.Context, s *streams, root *rootOptions, o *deployOptions, w *watchOptions, args []string) error {
	switch {
	case o.image != "" || o.archive != "":
		return usageErrorf("--watch watches a directory for changes: --image and --image-archive have none to watch")
	case o.output == outputJSON:
		return usageErrorf("--watch prints a line per deploy: leave out -o json")
	case w.noLogs && !w.on:
		return usageErrorf("--no-logs goes with --watch: a plain deploy streams no logs")
	}
	if err := o.checkSource(args); err != nil {
		return err
	}
	dir := "."
	if len(args) == 1 {
		dir = args[0]
	}
	if err := checkDeployDir(dir); err != nil {
		return err
	}
	m, err := manifest.Load(dir)
	if err != nil {
		return err
	}
	name, err := deployName(dir, o.name, o.changed, m)
	if err != nil {
		return err
	}
	wt, err := newDirWatch(dir)
	if err != nil {
		return err
	}
	defer wt.close()

	// Watching starts before the first deploy, so that a save during it
	// is deployed after it.
	out := newLockedStreams(s)
	lg := &watchLogs{s: out, client: root.client(), name: name, off: w.noLogs}
	defer lg.stop()
	err = runDeploy(ctx, s, root, o, args)
	switch {
	case ctx.Err() != nil:
		return nil
	case errors.As(err, new(*usageError)):
		return err
	case err != nil:
		fmt.Fprintf(out.Err, "Error: %s\n", strings.TrimRight(err.Error(), "\n"))
	default:
		lg.start(ctx)
	}
	fmt.Fprintf(out.Err, "Watching %s for changes (Ctrl-C to stop)...\n", dir)
	redeploy := func() {
		start := time.Now()
		res, err := deployQuietly(ctx, s, root, o, args)
		took := time.Since(start).Round(100 * time.Millisecond)
		if took < time.Second {
			took = time.Since(start).Round(time.Millisecond)
		}
		if ctx.Err() != nil {
			return
		}
		clock := time.Now().Format("15:04:05")
		switch {
		case err != nil:
			fmt.Fprintf(out.Err, "%s deploy failed after %s:\n%s\n", clock, took, indent(strings.TrimRight(err.Error(), "\n")))
		case !res.Changed && res.Active != nil:
			fmt.Fprintf(out.Err, "%s no changes: version %d stays active (%s)\n", clock, res.Active.Number, took)
		case res.Active != nil:
			fmt.Fprintf(out.Err, "%s deployed %s version %d in %s\n", clock, res.Name, res.Active.Number, took)
			lg.start(ctx)
		}
	}
	if err := wt.run(ctx, out.Err, redeploy); err != nil {
		return err
	}
	fmt.Fprintln(out.Err, "Stopped watching.")
	return nil
}

// deployQuietly deploys as runDeploy does, without progress, and returns
// what the server answered (read from the JSON runDeploy prints with -o
// json): the one line a watch prints needs the new version.
func deployQuietly(ctx context.Context, s *streams, root *rootOptions, o *deployOptions, args []string) (*lambdahttp.DeployResult, error) {
	q := *o
	q.quiet, q.verbose, q.output = true, false, outputJSON
	var out bytes.Buffer
	if err := runDeploy(ctx, &streams{In: s.In, Out: &out, Err: io.Discard}, root, &q, args); err != nil {
		return nil, err
	}
	var res lambdahttp.DeployResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("read the deploy's answer: %w", err)
	}
	return &res, nil
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

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

// watchLogs streams the function's logs between deploys, from the time
// the watch started following them. A stream that ends (the server went
// away for longer than followLogs waits, the function was deleted) starts
// again after the next successful deploy.
type watchLogs struct {
	s      *streams
	client *lambdahttp.Client
	name   string
	off    bool

	mu      sync.Mutex
	running bool
	done    chan struct{}
	cancel  context.CancelFunc
}

func (l *watchLogs) start(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.off || l.running || ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	l.running, l.done, l.cancel = true, make(chan struct{}), cancel
	q := lambdahttp.LogQuery{Since: time.Now().UTC().Format(time.RFC3339Nano)}
	go func() {
		defer close(l.done)
		err := followLogs(ctx, l.s, l.client, l.name, q, textLine(l.s.Out, l.s.Err))
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(l.s.Err, "logs: %s; they resume after the next deploy\n", lambda.ErrorMessage(err))
		}
		l.mu.Lock()
		l.running = false
		l.mu.Unlock()
	}()
}

// stop ends the stream and waits for it, bounded.
func (l *watchLogs) stop() {
	l.mu.Lock()
	done, cancel := l.done, l.cancel
	l.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	select {
	case <-done:
	case <-time.After(watchStopWait):
	}
}

// newLockedStreams returns s with its writers sharing one lock: the log
// stream and the deploy lines print from two goroutines.
func newLockedStreams(s *streams) *streams {
	mu := &sync.Mutex{}
	return &streams{In: s.In, Out: &lockedWriter{mu: mu, w: s.Out}, Err: &lockedWriter{mu: mu, w: s.Err}}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
