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

// hostDockerfile packs a binary built on the host. The CA bundle line is
// added only when the host has one.
const (
	hostDockerfileHead = "FROM scratch\n"
	hostDockerfileCA   = "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n"
	hostDockerfileBin  = "COPY function /function\n"
)

// hostBuild compiles dir with the server's Go toolchain into a temporary
// directory and returns a context holding the binary. The temporary
// directory lives until the context is closed.
func (r *Registry) hostBuild(ctx context.Context, dir string, out io.Writer) (io.ReadCloser, error) {
	mod := modFlag(dir)
	env := hostGoEnv(mod)
	if err := checkReplaces(ctx, r.HostGo, dir, env); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "lambda-go-build-")
	if err != nil {
		return nil, fmt.Errorf("go build: %w", err)
	}
	cleanup := func() { os.RemoveAll(tmp) }
	bin := filepath.Join(tmp, "function")
	if err := r.goBuild(ctx, dir, bin, mod, env, out); err != nil {
		cleanup()
		return nil, err
	}
	if err := checkELF(bin); err != nil {
		cleanup()
		return nil, err
	}
	ca := r.CABundle
	if ca != "" {
		if fi, err := os.Stat(ca); err != nil || !fi.Mode().IsRegular() {
			ca = ""
		}
	}
	df := hostDockerfileHead
	if ca != "" {
		df += hostDockerfileCA
	} else {
		fmt.Fprintln(out, "runtime go: no CA bundle on the server host: the function will not be able to verify HTTPS servers")
	}
	df += hostDockerfileBin + scratchTail
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

// goBuild runs go build, streaming its output to out and keeping the tail
// for the error message.
func (r *Registry) goBuild(ctx context.Context, dir, bin, mod string, env []string, out io.Writer) error {
	timeout := r.GoBuildTimeout
	if timeout <= 0 {
		timeout = DefaultGoBuildTimeout
	}
	bctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// -buildvcs=false: stamping would run git on the uploaded directory,
	// whose .git/config could make git execute arbitrary commands.
	cmd := exec.CommandContext(bctx, r.HostGo, "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = env
	tail := &tailBuffer{}
	w := io.MultiWriter(out, tail)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.WaitDelay = 5 * time.Second
	fmt.Fprintf(out, "runtime go: %s build -trimpath -ldflags=\"-s -w\" . (GOFLAGS=%s)\n", r.HostGo, mod)
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
