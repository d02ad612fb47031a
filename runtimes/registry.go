package runtimes

import (
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/sdk"
	"github.com/lambdahq/lambda/shim"
)

// Defaults of a Registry.
const (
	DefaultGoBuilderImage = "golang:1.26"
	DefaultPythonImage    = "python:3.12-slim"
	DefaultNodeImage      = "node:22-slim"
	DefaultGoBuildTimeout = 5 * time.Minute
	DefaultPullRetryAfter = 5 * time.Minute
)

// fallbackGo is where the official Go tarball installs, for servers whose
// PATH (e.g. under systemd) does not include it.
const fallbackGo = "/usr/local/go/bin/go"

// Importer imports a root filesystem (a tar stream) as image ref, applying
// Dockerfile instructions (changes) such as ENV or CMD. The docker driver
// implements it.
type Importer interface {
	ImportImage(ctx context.Context, rootfs io.Reader, ref string, changes []string) error
}

// Registry detects the runtime of a function directory, builds it, and
// makes the base images runtimes need available. Its fields may be changed
// after NewRegistry and before first use.
type Registry struct {
	Driver lambda.ImageBuilder
	// Images inspects images: the command of an image to wrap in the shim,
	// the ID of a base image. NewRegistry takes it from the driver.
	Images lambda.ImageDriver
	// Importer makes base images from Debian packages when no registry
	// answers; nil turns that off. NewRegistry takes it from the driver.
	Importer Importer
	// Tagger names images once they are complete, so that servers sharing
	// an engine never see (or leave behind) half-made ones. NewRegistry
	// takes it from the driver; nil makes images under their final name.
	Tagger Tagger
	// SweepGrace is how long an untagged copy of a runtime image must stay
	// untagged before it is removed as a race's leftover (0: 3s).
	SweepGrace time.Duration

	// GoBuilderImage builds Go functions (and the shim) inside Docker when
	// it is present locally or can be pulled.
	GoBuilderImage string
	// PythonImage and NodeImage are the base images of the handler
	// runtimes: pulled, or assembled from the host's Debian packages.
	PythonImage string
	NodeImage   string
	// BaseRepo is the repository prefix of base images assembled from
	// Debian packages ("" = DefaultBaseRepo): lambda-base/python:3.11-debian12.
	BaseRepo string
	// HostGo is the go binary used when the builder image is unavailable;
	// "" means the server host has no Go toolchain.
	HostGo string
	// GoBuildTimeout bounds a go build on the host.
	GoBuildTimeout time.Duration
	// TempDir holds the builders' temporary directories (lambda-*; "" =
	// os.TempDir). The server points it at a directory of its own, whose
	// leftovers the engine removes at start.
	TempDir string
	// PullRetryAfter is how long a failed pull of an image is remembered,
	// so that deploys do not each wait on a dead registry.
	PullRetryAfter time.Duration
	// CABundle is the host file copied into images so that functions can
	// verify HTTPS servers; "" when the host has none.
	CABundle string
	// ShimSource and SDKSource hold the Go files of the shim and SDK
	// packages, compiled into the shim image and into Go SDK functions.
	ShimSource fs.FS
	SDKSource  fs.FS
	// Debian assembles base images from the host's packages.
	Debian *Debian

	runtimes []Runtime
	now      func() time.Time

	mu     sync.Mutex
	probes map[string]*imageProbe
}

// NewRegistry returns a Registry with the runtimes of this build, in order
// of precedence, and the host's Go toolchain if it has one. A driver that
// also implements lambda.ImageDriver and Importer is used for those too.
func NewRegistry(d lambda.ImageBuilder) *Registry {
	r := &Registry{
		Driver:         d,
		GoBuilderImage: DefaultGoBuilderImage,
		PythonImage:    DefaultPythonImage,
		NodeImage:      DefaultNodeImage,
		BaseRepo:       DefaultBaseRepo,
		HostGo:         findHostGo(),
		GoBuildTimeout: DefaultGoBuildTimeout,
		PullRetryAfter: DefaultPullRetryAfter,
		CABundle:       findCABundle(),
		ShimSource:     shim.Source,
		SDKSource:      sdk.Source,
		Debian:         NewDebian(),
		now:            time.Now,
		probes:         make(map[string]*imageProbe),
	}
	if images, ok := d.(lambda.ImageDriver); ok {
		r.Images = images
	}
	if imp, ok := d.(Importer); ok {
		r.Importer = imp
	}
	if t, ok := d.(Tagger); ok {
		r.Tagger = t
	}
	// An explicit Dockerfile says exactly how to build, so it comes first;
	// a go.mod next; the handler runtimes last, Python before Node.
	r.runtimes = []Runtime{
		&dockerfileRuntime{reg: r},
		&goRuntime{reg: r},
		&pythonRuntime{reg: r},
		&nodeRuntime{reg: r},
	}
	return r
}

var _ lambda.RuntimeService = (*Registry)(nil)

// Runtimes returns the known runtimes in order of precedence.
func (r *Registry) Runtimes() []Runtime {
	return append([]Runtime(nil), r.runtimes...)
}

// Names returns the names of the known runtimes in order of precedence.
func (r *Registry) Names() []string {
	names := make([]string, len(r.runtimes))
	for i, rt := range r.runtimes {
		names[i] = rt.Name()
	}
	return names
}

// Detect returns the runtime named want, or when want is "" the first
// runtime whose files are in dir. It fails with EINVALID when want is
// unknown or its files are missing, or when nothing is detected.
func (r *Registry) Detect(dir string, want string) (Runtime, error) {
	if want != "" {
		rt, err := r.byName(want)
		if err != nil {
			return nil, err
		}
		if !rt.Detect(dir) {
			return nil, lambda.Errorf(lambda.EINVALID, "runtime %q needs %s at the top of the function directory, and it is missing%s",
				want, orList(rt.Files()), r.subdirHint(dir))
		}
		return rt, nil
	}
	for _, rt := range r.runtimes {
		if rt.Detect(dir) {
			return rt, nil
		}
	}
	var files []string
	for _, rt := range r.runtimes {
		files = append(files, rt.Files()...)
	}
	return nil, lambda.Errorf(lambda.EINVALID, "no runtime detected in the function directory: looked for %s%s",
		strings.Join(files, ", "), r.hint(dir))
}

func (r *Registry) byName(name string) (Runtime, error) {
	for _, rt := range r.runtimes {
		if strings.EqualFold(rt.Name(), name) {
			return rt, nil
		}
	}
	return nil, lambda.Errorf(lambda.EINVALID, "runtime %q is not supported: use one of %s, or leave it empty to detect it",
		name, strings.Join(r.Names(), ", "))
}

func (r *Registry) hint(dir string) string {
	if h := r.subdirHint(dir); h != "" {
		return h
	}
	return " (add one of them at the top of the directory you deploy, or set the runtime explicitly: " +
		strings.Join(r.Names(), ", ") + ")"
}

// subdirHint catches the common mistake of deploying the parent of the
// function's directory.
func (r *Registry) subdirHint(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		for _, rt := range r.runtimes {
			if rt.Detect(sub) {
				return " (the subdirectory " + e.Name() + "/ looks like a " + rt.Name() + " function: deploy that directory instead)"
			}
		}
	}
	return ""
}

func orList(files []string) string {
	if len(files) <= 1 {
		return strings.Join(files, "")
	}
	return strings.Join(files[:len(files)-1], ", ") + " or " + files[len(files)-1]
}

// hasFile reports whether dir holds name as a file (or a symlink, which the
// build would resolve inside the context), never following it.
func hasFile(dir, name string) bool {
	fi, err := os.Lstat(filepath.Join(dir, name))
	return err == nil && !fi.IsDir()
}

// caBundles are where Linux distributions keep their CA bundle; the first
// is where Go looks first inside the image.
var caBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine, Arch
	"/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL
	"/etc/ssl/ca-bundle.pem",             // openSUSE
	"/etc/ssl/cert.pem",                  // Alpine, macOS
}

func findCABundle() string {
	for _, p := range caBundles {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// caBundle returns the configured CA bundle if it is still a regular file.
func (r *Registry) caBundle() string {
	if r.CABundle == "" {
		return ""
	}
	if fi, err := os.Stat(r.CABundle); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	return r.CABundle
}

func findHostGo() string {
	if p, err := exec.LookPath("go"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
	}
	if fi, err := os.Stat(fallbackGo); err == nil && !fi.IsDir() {
		return fallbackGo
	}
	return ""
}
