package runtimes

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/lambdahq/lambda"
)

// hostBuild compiles the program with the server's Go toolchain into a
// temporary directory and returns a context holding the binary. The
// temporary directory lives until the context is closed.
func (r *Registry) hostBuild(ctx context.Context, p *goProgram, out io.Writer) (io.ReadCloser, error) {
	mod := p.modFlag()
	env := hostGoEnv(mod)
	f, err := readGoMod(p.dir)
	if err != nil {
		return nil, err
	}
	skip := ""
	if p.sdk != nil {
		skip = sdkModule
	}
	if err := checkReplaces(f, skip); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(r.TempDir, "lambda-go-build-")
	if err != nil {
		return nil, fmt.Errorf("go build: %w", err)
	}
	cleanup := func() { os.RemoveAll(tmp) }
	var extra []string
	if p.sdk != nil {
		modfile, err := writeHostStandIn(tmp, p)
		if err != nil {
			cleanup()
			return nil, err
		}
		extra = append(extra, "-modfile="+modfile)
	}
	bin := filepath.Join(tmp, "function")
	if err := r.goBuild(ctx, p, append(extra, p.buildArgs(bin)...), env, out); err != nil {
		cleanup()
		return nil, err
	}
	if err := checkELF(bin); err != nil {
		cleanup()
		return nil, err
	}
	ca := ""
	if p.ca {
		if ca = r.caBundle(); ca == "" {
			fmt.Fprintf(out, "%s: no CA bundle on the server host: the program will not be able to verify HTTPS servers\n", p.what)
		}
	}
	df := "FROM " + p.base + "\n"
	if ca != "" {
		df += "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n"
	}
	// The marker lets the driver write the binary's layer itself.
	df += p.meta + lambda.CodeLayerMarker + "\nCOPY function " + p.bin + "\n"
	return streamTar(func(tw *tar.Writer) error {
		if err := addBytes(tw, "Dockerfile", []byte(df), 0o644); err != nil {
			return err
		}
		if ca != "" {
			if err := addFile(tw, "ca-certificates.crt", ca); err != nil {
				return err
			}
		}
		return addFile(tw, "function", bin)
	}, cleanup), nil
}

// writeHostStandIn writes the stand-in SDK module and a rewritten copy of
// the function's go.mod (with its go.sum) under tmp, leaving the
// function's directory untouched, and returns the go.mod for -modfile.
func writeHostStandIn(tmp string, p *goProgram) (string, error) {
	standIn := filepath.Join(tmp, "sdk-module")
	put := func(name string, data []byte) error {
		dst := filepath.Join(standIn, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	}
	if err := writeStandIn(p.sdk, put); err != nil {
		return "", fmt.Errorf("write the stand-in SDK module: %w", err)
	}
	data, err := os.ReadFile(filepath.Join(p.dir, "go.mod"))
	if err != nil {
		return "", lambda.Errorf(lambda.EINVALID, "cannot read go.mod: %w", err)
	}
	goMod, err := sdkGoMod(data, standIn)
	if err != nil {
		return "", err
	}
	modDir := filepath.Join(tmp, "modfile")
	if err := os.MkdirAll(modDir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(modDir, "go.mod"), goMod, 0o644); err != nil {
		return "", err
	}
	if sum, err := os.ReadFile(filepath.Join(p.dir, "go.sum")); err == nil {
		if err := os.WriteFile(filepath.Join(modDir, "go.sum"), sum, 0o644); err != nil {
			return "", err
		}
	}
	return filepath.Join(modDir, "go.mod"), nil
}

// goBuild runs go build with args in the program's directory, streaming its
// output to out and keeping the tail for the error message.
func (r *Registry) goBuild(ctx context.Context, p *goProgram, args, env []string, out io.Writer) error {
	timeout := r.GoBuildTimeout
	if timeout <= 0 {
		timeout = DefaultGoBuildTimeout
	}
	bctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(bctx, r.HostGo, append([]string{"build"}, args...)...)
	cmd.Dir = p.dir
	cmd.Env = env
	tail := &tailBuffer{}
	w := io.MultiWriter(out, tail)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.WaitDelay = 5 * time.Second
	tags := ""
	if p.tags != "" {
		tags = " -tags " + p.tags
	}
	fmt.Fprintf(out, "%s: %s build -trimpath%s -ldflags=\"-s -w\" . (GOFLAGS=%s)\n", p.what, r.HostGo, tags, p.modFlag())
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case bctx.Err() != nil:
		return lambda.Errorf(lambda.ETIMEOUT, "go build did not finish within %s: %s", timeout, tail.Lines(10))
	case errors.As(err, &exit):
		return lambda.Errorf(lambda.EINVALID, "go build failed: %s", tail.Lines(20))
	default:
		return lambda.Errorf(lambda.EUNAVAILABLE, "cannot run the server host's Go toolchain %s: %w", r.HostGo, err)
	}
}

// checkELF makes sure go build produced a program, not a package archive.
func checkELF(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(f, magic); err != nil || !bytes.Equal(magic, []byte("\x7fELF")) {
		return lambda.Errorf(lambda.EINVALID, "go build did not produce a Linux program: is the package next to go.mod package main?")
	}
	return nil
}
