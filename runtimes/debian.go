package runtimes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lambdahq/lambda"
)

// Debian unpacks Debian packages and their dependencies into a root
// filesystem with the host's apt-get and dpkg, so that base images can be
// made where no registry answers. It never installs anything on the host:
// apt runs against an empty dpkg status, so the closure does not depend on
// what the host has installed, and downloads go to a temporary directory.
type Debian struct {
	// CacheDir keeps package lists of its own, fetched with apt-get update
	// when the host's are missing or stale ("" = $TMPDIR/lambda-apt).
	CacheDir string
	// Timeout bounds each apt or dpkg command.
	Timeout time.Duration

	mu      sync.Mutex // one assembly at a time: they share CacheDir
	private bool       // the host's lists failed once: use CacheDir's
}

// NewDebian returns a Debian with default settings.
func NewDebian() *Debian { return &Debian{Timeout: 10 * time.Minute} }

// debianTools are the host commands assembly needs.
var debianTools = []string{"apt-get", "apt-cache", "dpkg"}

// Available reports why assembly cannot work on this host, nil when it can.
func (d *Debian) Available() error {
	for _, tool := range debianTools {
		if _, err := exec.LookPath(tool); err != nil {
			return lambda.Errorf(lambda.EUNAVAILABLE, "assembling base images needs a Debian or Ubuntu server host with %s, and this host has no %s",
				strings.Join(debianTools, ", "), tool)
		}
	}
	return nil
}

// rootfs unpacks spec's packages and their dependencies, less the
// excluded ones (on top of excludePatterns), into root, plus the listed
// files of spec.files' packages, and returns the packages it unpacked.
func (d *Debian) rootfs(ctx context.Context, root string, spec debianImage, out io.Writer) ([]string, error) {
	if err := d.Available(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	a, cleanup, err := d.newRun(out)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	tmp := a.tmp
	debs := filepath.Join(tmp, "debs")
	excluded := excluder(spec.exclude)
	var picked []string
	for p := range spec.files {
		picked = append(picked, p)
	}
	sort.Strings(picked)

	var pkgs []string
	for attempt := 1; ; attempt++ {
		pkgs, err = a.closure(ctx, spec.packages, excluded)
		if err == nil {
			fmt.Fprintf(out, "debian: downloading %d packages: %s\n", len(pkgs), strings.Join(pkgs, " "))
			err = a.download(ctx, debs, pkgs)
		}
		if err == nil && len(picked) > 0 {
			err = a.download(ctx, filepath.Join(tmp, "picked"), picked)
		}
		if err == nil || attempt == 2 || ctx.Err() != nil {
			break
		}
		fmt.Fprintf(out, "debian: the host's package lists did not do (%v); fetching fresh ones with apt-get update\n", firstLine(err))
		if err = a.update(ctx); err != nil {
			return nil, err
		}
	}
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(debs, "*.deb"))
	if err != nil || len(files) == 0 {
		return nil, lambda.Errorf(lambda.EUNAVAILABLE, "apt-get download left no packages in %s", debs)
	}
	fmt.Fprintf(out, "debian: unpacking %d packages\n", len(files))
	for _, f := range files {
		if _, err := a.run(ctx, "", "dpkg", "-x", f, root); err != nil {
			return nil, err
		}
	}
	for _, p := range picked {
		if err := a.pick(ctx, root, p, spec.files[p]); err != nil {
			return nil, err
		}
	}
	return pkgs, nil
}

// newRun prepares a temporary directory for apt runs against an empty
// dpkg status; cleanup removes it.
func (d *Debian) newRun(out io.Writer) (*aptRun, func(), error) {
	tmp, err := os.MkdirTemp("", "lambda-debian-")
	if err != nil {
		return nil, nil, fmt.Errorf("assemble: %w", err)
	}
	cleanup := func() { os.RemoveAll(tmp) }
	status := filepath.Join(tmp, "status")
	for _, dir := range []string{filepath.Join(tmp, "debs"), filepath.Join(tmp, "picked"), filepath.Join(tmp, "archives", "partial")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("assemble: %w", err)
		}
	}
	if err := os.WriteFile(status, nil, 0o644); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("assemble: %w", err)
	}
	return &aptRun{d: d, tmp: tmp, status: status, out: out}, cleanup, nil
}

// pick copies files (relative paths) of package p, downloaded without its
// dependencies, into root.
func (a *aptRun) pick(ctx context.Context, root, p string, files []string) error {
	debs, _ := filepath.Glob(filepath.Join(a.tmp, "picked", p+"_*.deb"))
	if len(debs) != 1 {
		return lambda.Errorf(lambda.EUNAVAILABLE, "apt-get download left no single package %s", p)
	}
	dir := filepath.Join(a.tmp, "picked", p)
	if _, err := a.run(ctx, "", "dpkg", "-x", debs[0], dir); err != nil {
		return err
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return lambda.Errorf(lambda.EUNAVAILABLE, "package %s has no /%s", p, f)
		}
		dst := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// aptRun is one assembly's apt invocations.
type aptRun struct {
	d      *Debian
	tmp    string
	status string
	out    io.Writer
}

func (a *aptRun) cacheDir() string {
	if a.d.CacheDir != "" {
		return a.d.CacheDir
	}
	return filepath.Join(os.TempDir(), "lambda-apt")
}

// opts point apt at the empty status, away from the host's caches, and at
// the private lists once the host's failed.
func (a *aptRun) opts() []string {
	o := []string{
		"-o", "Dir::State::status=" + a.status,
		"-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=",
		"-o", "Dir::Cache::archives=" + filepath.Join(a.tmp, "archives"),
	}
	if a.d.private {
		o = append(o, "-o", "Dir::State::Lists="+filepath.Join(a.cacheDir(), "lists"))
	}
	if os.Geteuid() == 0 {
		// Downloads go to a directory the _apt sandbox user cannot write.
		o = append(o, "-o", "APT::Sandbox::User=root")
	}
	return o
}

// closure resolves roots to the set of packages to unpack. One recursive
// apt-cache call lists the dependencies of everything reachable (each call
// reads all package lists, about a second); the walk then leaves excluded
// packages out, and so whatever only they depend on.
func (a *aptRun) closure(ctx context.Context, roots []string, excluded func(string) bool) ([]string, error) {
	known := make(map[string][]depGroup)
	fetch := func(pkgs []string) error {
		args := append(a.opts(), "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
			"--no-breaks", "--no-replaces", "--no-enhances")
		stdout, err := a.run(ctx, "", "apt-cache", append(args, pkgs...)...)
		if err != nil {
			return err
		}
		for p, groups := range parseDepends(string(stdout)) {
			known[p] = groups
		}
		return nil
	}
	if err := fetch(roots); err != nil {
		return nil, err
	}
	chosen := make(map[string]bool)
	queue := append([]string(nil), roots...)
	for _, p := range roots {
		chosen[p] = true
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if _, ok := known[p]; !ok {
			if err := fetch([]string{p}); err != nil {
				return nil, err
			}
			if _, ok := known[p]; !ok {
				return nil, lambda.Errorf(lambda.EUNAVAILABLE, "apt-cache knows no package %s", p)
			}
		}
		for _, g := range known[p] {
			if name := g.pick(chosen, excluded); name != "" && !chosen[name] {
				chosen[name] = true
				queue = append(queue, name)
			}
		}
	}
	pkgs := make([]string, 0, len(chosen))
	for p := range chosen {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	return pkgs, nil
}

func (a *aptRun) download(ctx context.Context, dir string, pkgs []string) error {
	args := append(a.opts(), "-q", "download")
	_, err := a.run(ctx, dir, "apt-get", append(args, pkgs...)...)
	return err
}

// update fetches package lists into the private cache directory, which
// needs no root, and uses them from then on.
func (a *aptRun) update(ctx context.Context) error {
	lists := filepath.Join(a.cacheDir(), "lists")
	if err := os.MkdirAll(filepath.Join(lists, "partial"), 0o755); err != nil {
		return lambda.Errorf(lambda.EUNAVAILABLE, "cannot create the apt cache directory %s: %w", lists, err)
	}
	// Other servers on this host share the directory: apt-get update
	// fails on the lists' lock while another runs, so take turns.
	unlock, err := lockFile(ctx, filepath.Join(a.cacheDir(), "update.lock"))
	if err != nil {
		return err
	}
	defer unlock()
	a.d.private = true
	args := append(a.opts(), "-q", "update")
	if _, err := a.run(ctx, "", "apt-get", args...); err != nil {
		a.d.private = false
		return err
	}
	return nil
}

// run runs a command, streaming its stderr to out, and returns its stdout.
// A failure quotes the end of the command's output.
func (a *aptRun) run(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	timeout := a.d.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "DEBIAN_FRONTEND=noninteractive")
	var stdout bytes.Buffer
	tail := &tailBuffer{}
	cmd.Stderr = io.MultiWriter(a.out, tail)
	if name == "apt-cache" {
		cmd.Stdout = &stdout
	} else {
		cmd.Stdout = io.MultiWriter(&stdout, a.out, tail)
	}
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	switch {
	case err == nil:
		return stdout.Bytes(), nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case cctx.Err() != nil:
		return nil, lambda.Errorf(lambda.ETIMEOUT, "%s did not finish within %s: %s", name, timeout, tail.Lines(5))
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return nil, lambda.Errorf(lambda.EUNAVAILABLE, "%s %s failed: %s", name, firstArg(args), tail.Lines(10))
	}
	return nil, lambda.Errorf(lambda.EUNAVAILABLE, "cannot run %s: %w", name, err)
}

// firstArg is the apt subcommand of args, for error messages.
func firstArg(args []string) string {
	for i := 0; i < len(args); i++ {
		if args[i] == "-o" {
			i++
			continue
		}
		if !strings.HasPrefix(args[i], "-") {
			return args[i]
		}
	}
	return ""
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// lockFile takes an exclusive lock on path, shared with other processes,
// waiting until ctx ends; unlock releases it.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, lambda.Errorf(lambda.EUNAVAILABLE, "cannot create the lock file %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing releases the lock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
