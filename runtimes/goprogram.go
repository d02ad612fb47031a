package runtimes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/lambdahq/lambda"
)

// goProgram is a Go main package to compile into an image: a function, or
// the shim itself.
type goProgram struct {
	dir  string // module root
	pkg  string // the main package: "." (or "") for the root, else ./path
	tags string // build tags, "" for none
	// sdk, when set, makes github.com/lambdahq/lambda resolve to a
	// stand-in module holding these files under sdk/.
	sdk fs.FS
	// The image: FROM base ("scratch" or an image), with the CA bundle
	// added when ca is set (for scratch; shim-based images have it).
	base string
	ca   bool
	bin  string // path of the binary in the image
	// meta are the image's configuration lines (ENV, EXPOSE, ENTRYPOINT),
	// written before the binary's COPY: they do not depend on it, so the
	// builder reuses their cached steps, and a build of new code runs only
	// the COPY and the labels after it (each metadata step of Docker's
	// builder creates and commits a container: ~0.3 s apiece on a busy host).
	meta string
	what string // names the build in progress lines, e.g. "runtime go"
}

// scratchMeta configures the image of a plain Go function. PORT is a
// default for running the image by hand: the platform sets its own.
const scratchMeta = "ENV PORT=8080\nEXPOSE 8080\nENTRYPOINT [\"/function\"]\n"

// modFlag picks how the build resolves dependencies: from vendor/ when the
// program ships one, else from go.mod, filling in a missing go.sum. SDK
// functions always resolve from go.mod, since their SDK is replaced.
func (p *goProgram) modFlag() string {
	if p.sdk != nil {
		return "-mod=mod"
	}
	return modFlag(p.dir)
}

func modFlag(dir string) string {
	if fi, err := os.Stat(filepath.Join(dir, "vendor", "modules.txt")); err == nil && fi.Mode().IsRegular() {
		return "-mod=vendor"
	}
	return "-mod=mod"
}

// buildArgs are the arguments of go build after "build", writing to out.
func (p *goProgram) buildArgs(out string) []string {
	// -buildvcs=false: stamping would run git on the uploaded directory,
	// whose .git/config could make git execute arbitrary commands.
	args := []string{"-trimpath", "-buildvcs=false"}
	if p.tags != "" {
		args = append(args, "-tags", p.tags)
	}
	return append(args, "-ldflags=-s -w", "-o", out, p.mainPackage())
}

// mainPackage is the package go build compiles, relative to the module
// root.
func (p *goProgram) mainPackage() string {
	if p.pkg == "" {
		return "."
	}
	return p.pkg
}

// compile returns the build context of p: compiled in the builder image
// when Docker has it, with the host's toolchain otherwise.
func (r *Registry) compile(ctx context.Context, p *goProgram, out io.Writer) (io.ReadCloser, error) {
	var why error = errors.New("no builder image is configured")
	if r.GoBuilderImage != "" {
		var ok bool
		ok, why = r.builderAvailable(ctx, out)
		if ok {
			fmt.Fprintf(out, "%s: building in the builder image %s\n", p.what, r.GoBuilderImage)
			return r.builderContext(p, r.GoBuilderImage)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.HostGo == "" {
		return nil, lambda.Errorf(lambda.EUNAVAILABLE,
			"cannot build Go programs: the builder image %s is unavailable (%v) and the server host has no Go toolchain: "+
				"install Go on the server host (https://go.dev/dl/) or make the builder image available (docker pull %s)",
			r.GoBuilderImage, why, r.GoBuilderImage)
	}
	fmt.Fprintf(out, "%s: builder image %s unavailable (%v); building with the host toolchain %s\n", p.what, r.GoBuilderImage, why, r.HostGo)
	return r.hostBuild(ctx, p, out)
}

// builderAvailable reports whether the builder image is present locally,
// pulling it unless a pull failed within PullRetryAfter. When it is not
// available the error says why.
func (r *Registry) builderAvailable(ctx context.Context, out io.Writer) (bool, error) {
	if r.Driver == nil {
		return false, errNoDriver
	}
	p := r.probe(r.GoBuilderImage)
	if err := p.lock(ctx); err != nil {
		return false, err
	}
	defer p.unlock()
	ok, err := r.Driver.ImageExists(ctx, r.GoBuilderImage)
	if err != nil {
		return false, fmt.Errorf("cannot look it up: %w", err)
	}
	if ok {
		return true, nil
	}
	if err := r.pullLocked(ctx, p, r.GoBuilderImage, "runtime go: builder image", out); err != nil {
		return false, err
	}
	return true, nil
}

// writeStandIn writes the stand-in SDK module (go.mod and sdk/*.go, tests
// left out) with put.
func writeStandIn(src fs.FS, put func(name string, data []byte) error) error {
	if err := put("go.mod", []byte(standInGoMod)); err != nil {
		return err
	}
	return copyGoFiles(src, "sdk", put)
}

// copyGoFiles puts the non-test .go files at the top of src under dir.
func copyGoFiles(src fs.FS, dir string, put func(name string, data []byte) error) error {
	entries, err := fs.ReadDir(src, ".")
	if err != nil {
		return fmt.Errorf("read embedded sources: %w", err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		data, err := fs.ReadFile(src, name)
		if err != nil {
			return fmt.Errorf("read embedded source %s: %w", name, err)
		}
		if err := put(path.Join(dir, name), data); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("the embedded sources hold no Go files")
	}
	return nil
}

// validRef rejects image references that would inject Dockerfile lines.
func validRef(ref string) bool {
	return ref != "" && !strings.ContainsAny(ref, " \t\r\n\"")
}
