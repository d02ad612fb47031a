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
	"slices"
	"strconv"
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
	names, err := watchedFunctions(dir, o, m)
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
	lg := newWatchLogs(out, root.client(), names, w.noLogs)
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
		if err != nil {
			fmt.Fprintf(out.Err, "%s deploy failed after %s:\n%s\n", clock, took, indent(strings.TrimRight(err.Error(), "\n")))
			return
		}
		fmt.Fprintf(out.Err, "%s %s\n", clock, res.line(took))
		lg.start(ctx)
	}
	if err := wt.run(ctx, out.Err, redeploy); err != nil {
		return err
	}
	fmt.Fprintln(out.Err, "Stopped watching.")
	return nil
}

// watchedFunctions names the functions a deploy of dir deploys: the one
// of a function's directory, or a project's (those of --only).
func watchedFunctions(dir string, o *deployOptions, m *manifest.Manifest) ([]string, error) {
	if !m.IsProject() {
		name, err := deployName(dir, o.name, o.changed, m)
		if err != nil {
			return nil, err
		}
		return []string{name}, nil
	}
	only := lambda.ParseOnly(o.only)
	var names []string
	for _, f := range m.Functions {
		if len(only) == 0 || slices.Contains(only, f.Name) {
			names = append(names, lambda.ProjectFunctionName(m.Project, f.Name, o.prefix))
		}
	}
	return names, nil
}

// deployOutcome is what a deploy answered: a function's, or a project's
// (Functions set).
type deployOutcome struct {
	lambdahttp.DeployResult
	Project   string                    `json:"project"`
	Functions []lambdahttp.DeployResult `json:"functions"`
}

// line says what a deploy did, in one line.
func (d *deployOutcome) line(took time.Duration) string {
	if d.Functions == nil {
		if !d.Changed && d.Active != nil {
			return fmt.Sprintf("no changes: %s version %d stays active (%s)", d.Name, d.Active.Number, took)
		}
		return fmt.Sprintf("deployed %s version %s in %s", d.Name, versionOf(&d.DeployResult), took)
	}
	parts := make([]string, len(d.Functions))
	changed := false
	for i := range d.Functions {
		f := &d.Functions[i]
		parts[i] = f.Name + " version " + versionOf(f)
		if f.Changed {
			changed = true
		} else {
			parts[i] += " (unchanged)"
		}
	}
	if !changed {
		return fmt.Sprintf("no changes: project %s stays as it is (%s)", d.Project, took)
	}
	return fmt.Sprintf("deployed project %s in %s: %s", d.Project, took, strings.Join(parts, ", "))
}

func versionOf(r *lambdahttp.DeployResult) string {
	if r.Active == nil {
		return "-"
	}
	return strconv.Itoa(r.Active.Number)
}

// deployQuietly deploys as runDeploy does, without progress, and returns
// what the server answered (read from the JSON runDeploy prints with -o
// json): the one line a watch prints needs the new version.
func deployQuietly(ctx context.Context, s *streams, root *rootOptions, o *deployOptions, args []string) (*deployOutcome, error) {
	q := *o
	q.quiet, q.verbose, q.output = true, false, outputJSON
	var out bytes.Buffer
	if err := runDeploy(ctx, &streams{In: s.In, Out: &out, Err: io.Discard}, root, &q, args); err != nil {
		return nil, err
	}
	var res deployOutcome
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

// watchLogs streams the logs of the functions a watch deploys.
type watchLogs []*functionLogs

// newWatchLogs follows names; a project's lines start with their
// function's name.
func newWatchLogs(s *streams, c *lambdahttp.Client, names []string, off bool) watchLogs {
	var ls watchLogs
	for _, name := range names {
		out, errOut := s.Out, s.Err
		if len(names) > 1 {
			out = &prefixWriter{w: out, prefix: name + " | "}
		}
		ls = append(ls, &functionLogs{out: out, errOut: errOut, client: c, name: name, off: off})
	}
	return ls
}

func (ls watchLogs) start(ctx context.Context) {
	for _, l := range ls {
		l.start(ctx)
	}
}

// stop ends every stream, then waits for them, bounded as a whole.
func (ls watchLogs) stop() {
	for _, l := range ls {
		l.cancelStream()
	}
	deadline := time.After(watchStopWait)
	for _, l := range ls {
		if !l.wait(deadline) {
			return
		}
	}
}

// prefixWriter starts each write, a line of textLine's, with prefix.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if _, err := p.w.Write(append([]byte(p.prefix), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// functionLogs streams a function's logs between deploys, from the time
// the watch started following them. A stream that ends (the server went
// away for longer than followLogs waits, the function was deleted) starts
// again after the next successful deploy.
type functionLogs struct {
	out, errOut io.Writer
	client      *lambdahttp.Client
	name        string
	off         bool

	mu      sync.Mutex
	running bool
	done    chan struct{}
	cancel  context.CancelFunc
}

func (l *functionLogs) start(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.off || l.running || ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	l.running, l.done, l.cancel = true, make(chan struct{}), cancel
	q := lambdahttp.LogQuery{Since: time.Now().UTC().Format(time.RFC3339Nano)}
	done := l.done
	go func() {
		defer close(done)
		defer cancel()
		s := &streams{Out: l.out, Err: l.errOut}
		err := followLogs(ctx, s, l.client, l.name, q, textLine(l.out, l.errOut))
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(l.errOut, "logs of %s: %s; they resume after the next deploy\n", l.name, lambda.ErrorMessage(err))
		}
		l.mu.Lock()
		l.running = false
		l.mu.Unlock()
	}()
}

// cancelStream ends the stream, if one runs.
func (l *functionLogs) cancelStream() {
	l.mu.Lock()
	cancel := l.cancel
	l.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// wait waits for the stream to end, or deadline; false at the deadline.
func (l *functionLogs) wait(deadline <-chan time.Time) bool {
	l.mu.Lock()
	done := l.done
	l.mu.Unlock()
	if done == nil {
		return true
	}
	select {
	case <-done:
		return true
	case <-deadline:
		return false
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
