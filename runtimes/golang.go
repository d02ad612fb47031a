package runtimes

import (
	"context"
	"errors"
	"fmt"
	"go/build"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/lambdahq/lambda"
)

// goRuntime builds the main package at the root of a Go module into a
// static binary in a FROM scratch image. It compiles inside the builder
// image when Docker has it, and with the server host's toolchain otherwise,
// so that Go functions deploy on machines without any registry.
type goRuntime struct{ reg *Registry }

func (*goRuntime) Name() string           { return lambda.RuntimeGo }
func (*goRuntime) Files() []string        { return []string{"go.mod"} }
func (*goRuntime) Detect(dir string) bool { return hasFile(dir, "go.mod") }

func (g *goRuntime) Context(ctx context.Context, dir string, out io.Writer) (io.ReadCloser, error) {
	if out == nil {
		out = io.Discard
	}
	if err := checkMainPackage(dir); err != nil {
		return nil, err
	}
	r := g.reg
	var why error = errors.New("no builder image is configured")
	if r.GoBuilderImage != "" {
		var ok bool
		ok, why = r.builderAvailable(ctx, out)
		if ok {
			fmt.Fprintf(out, "runtime go: building in the builder image %s\n", r.GoBuilderImage)
			return builderContext(dir, r.GoBuilderImage)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.HostGo == "" {
		return nil, lambda.Errorf(lambda.EUNAVAILABLE,
			"cannot build Go functions: the builder image %s is unavailable (%v) and the server host has no Go toolchain: "+
				"install Go on the server host (https://go.dev/dl/) or make the builder image available (docker pull %s)",
			r.GoBuilderImage, why, r.GoBuilderImage)
	}
	fmt.Fprintf(out, "runtime go: builder image %s unavailable (%v); building with the host toolchain %s\n", r.GoBuilderImage, why, r.HostGo)
	return r.hostBuild(ctx, dir, out)
}

// checkMainPackage reads the package clause of the module root's files,
// as the build will select them for linux, to fail early and clearly
// without running any toolchain.
func checkMainPackage(dir string) error {
	bc := build.Default
	bc.GOOS, bc.GOARCH, bc.CgoEnabled = "linux", runtime.GOARCH, false
	pkg, err := bc.ImportDir(dir, build.ImportComment)
	var noGo *build.NoGoError
	var multi *build.MultiplePackageError
	switch {
	case errors.As(err, &noGo):
		return lambda.Errorf(lambda.EINVALID, "no Go files next to go.mod: a Go function is the main package at the root of its module")
	case errors.As(err, &multi):
		return lambda.Errorf(lambda.EINVALID, "the files next to go.mod declare several packages (%s in %s, %s in %s): keep only package main there",
			multi.Packages[0], filepath.Base(multi.Files[0]), multi.Packages[1], filepath.Base(multi.Files[1]))
	case err != nil:
		return lambda.Errorf(lambda.EINVALID, "cannot read the Go package next to go.mod: %w", err)
	case pkg.Name != "main":
		return lambda.Errorf(lambda.EINVALID, "the package next to go.mod is %q, not main: a Go function is the main package at the root of its module", pkg.Name)
	}
	return nil
}

// modFlag picks how the build resolves dependencies: from vendor/ when the
// function ships one, else from go.mod, filling in a missing go.sum.
func modFlag(dir string) string {
	if fi, err := os.Stat(filepath.Join(dir, "vendor", "modules.txt")); err == nil && fi.Mode().IsRegular() {
		return "-mod=vendor"
	}
	return "-mod=mod"
}
