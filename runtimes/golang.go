package runtimes

import (
	"context"
	"errors"
	"go/build"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/lambdahq/lambda"
)

// goRuntime builds the main package at the root of a Go module into a
// static binary. A plain Go server goes into a FROM scratch image; a Go SDK
// or aws-lambda-go function (or any Go program deployed with the aws or
// stdio protocol) goes on top of the shim base image, behind the shim. It
// compiles inside the builder image when Docker has it, and with the server
// host's toolchain otherwise, so that Go functions deploy on machines
// without any registry.
type goRuntime struct{ reg *Registry }

func (*goRuntime) Name() string           { return lambda.RuntimeGo }
func (*goRuntime) Files() []string        { return []string{"go.mod"} }
func (*goRuntime) Detect(dir string) bool { return hasFile(dir, "go.mod") }

// goKind is what a Go function builds against.
type goKind struct {
	sdk bool // the Go SDK of this repository: the handler protocol
	aws bool // aws-lambda-go: the aws protocol, built with lambda.norpc
}

// inspectGo reads go.mod and the imports of the main package pkg ("."
// or a handler's ./path).
func inspectGo(dir, pkg string) (goKind, error) {
	f, err := readGoMod(dir)
	if err != nil {
		return goKind{}, err
	}
	var k goKind
	k.sdk = requires(f, sdkModule)
	k.aws = requires(f, awsModule)
	bc := linuxContext()
	if pkg, err := bc.ImportDir(filepath.Join(dir, filepath.FromSlash(pkg)), 0); err == nil {
		for _, imp := range pkg.Imports {
			k.sdk = k.sdk || imp == sdkPackage || strings.HasPrefix(imp, sdkPackage+"/")
			k.aws = k.aws || imp == awsPackage
		}
	}
	return k, nil
}

func (g *goRuntime) Resolve(dir string, cfg lambda.Config) (lambda.Config, error) {
	pkg, err := goHandlerPackage(cfg.Handler)
	if err != nil {
		return cfg, err
	}
	if pkg == "." {
		err = checkMainPackage(dir)
	} else {
		err = checkHandlerPackage(dir, pkg)
	}
	if err != nil {
		return cfg, err
	}
	k, err := inspectGo(dir, pkg)
	if err != nil {
		return cfg, err
	}
	def := lambda.ProtocolHTTP
	switch {
	case k.sdk:
		def = lambda.ProtocolHandler
	case k.aws:
		def = lambda.ProtocolAWS
	}
	switch cfg.Protocol {
	case "":
		cfg.Protocol = def
	case lambda.ProtocolHTTP, lambda.ProtocolAWS, lambda.ProtocolStdio:
	case lambda.ProtocolHandler:
		if !k.sdk {
			return cfg, lambda.Errorf(lambda.EINVALID, "protocol handler needs the Go SDK (%s), which this function does not import: "+
				"use http for a Go server, aws for aws-lambda-go, stdio for a command", sdkPackage)
		}
	default:
		return cfg, badProtocol(cfg.Protocol)
	}
	return cfg, nil
}

func (g *goRuntime) Context(ctx context.Context, dir string, cfg lambda.Config, out io.Writer) (io.ReadCloser, error) {
	if out == nil {
		out = io.Discard
	}
	cfg, err := g.Resolve(dir, cfg)
	if err != nil {
		return nil, err
	}
	pkg, err := goHandlerPackage(cfg.Handler)
	if err != nil {
		return nil, err
	}
	k, err := inspectGo(dir, pkg)
	if err != nil {
		return nil, err
	}
	r := g.reg
	p := &goProgram{dir: dir, pkg: pkg, what: "runtime go", bin: "/function"}
	if k.aws {
		p.tags = awsNoRPCTag
	}
	if k.sdk {
		if r.SDKSource == nil {
			return nil, lambda.Errorf(lambda.EUNAVAILABLE, "this server was built without the Go SDK's sources: it cannot build Go SDK functions")
		}
		p.sdk = r.SDKSource
	}
	if cfg.Protocol == lambda.ProtocolHTTP {
		p.base, p.ca, p.meta = "scratch", true, scratchMeta
	} else {
		base, err := r.ensureShimBase(ctx, out)
		if err != nil {
			return nil, err
		}
		p.base, p.meta = base, shimMeta(cfg.Protocol, "/function")
	}
	return r.compile(ctx, p, out)
}

func linuxContext() build.Context {
	bc := build.Default
	bc.GOOS, bc.GOARCH, bc.CgoEnabled = "linux", runtime.GOARCH, false
	return bc
}

// checkMainPackage reads the package clause of the module root's files,
// as the build will select them for linux, to fail early and clearly
// without running any toolchain.
func checkMainPackage(dir string) error {
	bc := linuxContext()
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

// goHandlerPackage is the main package a Go function's handler names: a
// path of the module, like ./cmd/api (several functions of a project in
// one module); "." (the module's root) when there is no handler.
func goHandlerPackage(handler string) (string, error) {
	if handler == "" || handler == "." || handler == "./" {
		return ".", nil
	}
	clean := path.Clean(handler)
	if !strings.HasPrefix(handler, "./") || !goPkgPath.MatchString(handler) || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(handler, "/../") {
		return "", lambda.Errorf(lambda.EINVALID, "handler %q is not a package of the module: a Go function's handler is the path of its main package, e.g. ./cmd/api, or none for the package next to go.mod", handler)
	}
	return "./" + clean, nil
}

var goPkgPath = regexp.MustCompile(`^\./[A-Za-z0-9_./-]{1,200}$`)

// checkHandlerPackage checks that pkg, a handler's path in the module at
// dir, is a main package, before any toolchain runs.
func checkHandlerPackage(dir, pkg string) error {
	full := filepath.Join(dir, filepath.FromSlash(pkg))
	if fi, err := os.Stat(full); err != nil || !fi.IsDir() {
		return lambda.Errorf(lambda.EINVALID, "handler %q: the module has no directory %s: name the directory of a main package, e.g. ./cmd/api", pkg, strings.TrimPrefix(pkg, "./"))
	}
	bc := linuxContext()
	p, err := bc.ImportDir(full, build.ImportComment)
	var noGo *build.NoGoError
	switch {
	case errors.As(err, &noGo):
		return lambda.Errorf(lambda.EINVALID, "handler %q: no Go files in %s", pkg, strings.TrimPrefix(pkg, "./"))
	case err != nil:
		return lambda.Errorf(lambda.EINVALID, "handler %q: cannot read the Go package: %w", pkg, err)
	case p.Name != "main":
		return lambda.Errorf(lambda.EINVALID, "handler %q is package %q, not main: a Go function's handler is a main package", pkg, p.Name)
	}
	return nil
}
