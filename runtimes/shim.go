package runtimes

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/lambdahq/lambda"
)

// Repositories of the images the platform builds for itself. Their tags
// are short hashes of what went into them, so a server with a new shim or
// bootstrap builds new ones and never reuses stale ones.
const (
	shimRepo     = "lambda-shim"      // FROM scratch + /shim
	shimBaseRepo = "lambda-shim-base" // FROM scratch + CA bundle + /lambda/shim: under Go functions
)

// shimRecipe changes whenever the way the shim is built changes.
const shimRecipe = "shim recipe 1"

// shimMain is the main package compiled with the shim's sources.
const shimMain = `package main

import (
	"os"

	"github.com/lambdahq/lambda/shim"
)

func main() { os.Exit(shim.Main(os.Args[1:])) }
`

// hashParts returns a short hash of parts, each length-prefixed so that
// no two lists of parts hash alike.
func hashParts(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// sourceParts lists the non-test Go files of src, names and contents, in
// name order.
func sourceParts(src fs.FS) ([][]byte, error) {
	files := map[string][]byte{}
	err := copyGoFiles(src, ".", func(name string, data []byte) error {
		files[name] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts [][]byte
	for _, n := range names {
		parts = append(parts, []byte(n), files[n])
	}
	return parts, nil
}

// shimImage is the tag of the shim image of this build.
func (r *Registry) shimImage() (string, error) {
	if r.ShimSource == nil {
		return "", lambda.Errorf(lambda.EUNAVAILABLE, "this server was built without the shim's sources")
	}
	parts, err := sourceParts(r.ShimSource)
	if err != nil {
		return "", lambda.Errorf(lambda.EUNAVAILABLE, "the shim's sources: %v", err)
	}
	parts = append(parts, []byte(shimRecipe), []byte(shimMain))
	return shimRepo + ":" + hashParts(parts...), nil
}

// shimBaseImage is the tag of the shim base image: it also depends on the
// host's CA bundle, which it holds.
func (r *Registry) shimBaseImage() (string, error) {
	shim, err := r.shimImage()
	if err != nil {
		return "", err
	}
	var ca []byte
	if p := r.caBundle(); p != "" {
		ca, _ = os.ReadFile(p)
	}
	return shimBaseRepo + ":" + hashParts([]byte(shim), ca), nil
}

// ensureShim builds the shim image unless it is present, and returns its
// tag. The shim compiles like Go functions: in the builder image or with
// the host's toolchain.
func (r *Registry) ensureShim(ctx context.Context, out io.Writer) (string, error) {
	ref, err := r.shimImage()
	if err != nil {
		return "", err
	}
	return ref, r.ensureBuilt(ctx, ref, out, func() (io.ReadCloser, error) {
		fmt.Fprintf(out, "shim: building %s\n", ref)
		dir, err := os.MkdirTemp(r.TempDir, "lambda-shim-src-")
		if err != nil {
			return nil, fmt.Errorf("shim: %w", err)
		}
		if err := writeShimModule(dir, r.ShimSource); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		meta := "ENTRYPOINT [\"/shim\"]\n" + labelLine(map[string]string{labelRole: roleShim, labelImage: ref})
		p := &goProgram{dir: dir, base: "scratch", bin: "/shim", meta: meta, what: "shim"}
		rc, err := r.compile(ctx, p, out)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		return &cleanupReader{ReadCloser: rc, cleanup: func() { os.RemoveAll(dir) }}, nil
	})
}

// writeShimModule lays out a module github.com/lambdahq/lambda holding
// shim/ and a main package at its root.
func writeShimModule(dir string, src fs.FS) error {
	put := func(name string, data []byte) error {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, data, 0o644)
	}
	if err := put("go.mod", []byte(standInGoMod)); err != nil {
		return fmt.Errorf("shim: %w", err)
	}
	if err := put("main.go", []byte(shimMain)); err != nil {
		return fmt.Errorf("shim: %w", err)
	}
	if err := copyGoFiles(src, "shim", put); err != nil {
		return lambda.Errorf(lambda.EUNAVAILABLE, "the shim's sources: %v", err)
	}
	return nil
}

// ensureShimBase builds the image Go functions behind the shim start
// from: the CA bundle and the shim, so that functions add only their
// binary.
func (r *Registry) ensureShimBase(ctx context.Context, out io.Writer) (string, error) {
	shim, err := r.ensureShim(ctx, out)
	if err != nil {
		return "", err
	}
	ref, err := r.shimBaseImage()
	if err != nil {
		return "", err
	}
	return ref, r.ensureBuilt(ctx, ref, out, func() (io.ReadCloser, error) {
		fmt.Fprintf(out, "shim: building %s\n", ref)
		ca := r.caBundle()
		df := "FROM scratch\n"
		if ca != "" {
			df += "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n"
		} else {
			fmt.Fprintln(out, "shim: no CA bundle on the server host: Go functions will not be able to verify HTTPS servers")
		}
		df += "COPY --from=" + shim + " /shim " + shimPath + "\n" + labelLine(map[string]string{labelRole: roleShim, labelImage: ref})
		return streamTar(func(tw *tar.Writer) error {
			if err := addBytes(tw, "Dockerfile", []byte(df), 0o644); err != nil {
				return err
			}
			if ca != "" {
				return addFile(tw, "ca-certificates.crt", ca)
			}
			return nil
		}, nil), nil
	})
}

// ensureBuilt builds ref from the context made by makeContext unless it
// is present. Concurrent callers wait for one build.
func (r *Registry) ensureBuilt(ctx context.Context, ref string, out io.Writer, makeContext func() (io.ReadCloser, error)) error {
	if r.Driver == nil {
		return errNoDriver
	}
	p := r.probe(ref)
	if err := p.lock(ctx); err != nil {
		return err
	}
	defer p.unlock()
	exists := func(ctx context.Context) (bool, error) {
		ok, err := r.Driver.ImageExists(ctx, ref)
		if err != nil {
			return false, fmt.Errorf("cannot look up %s: %w", ref, err)
		}
		return ok, nil
	}
	if ok, err := exists(ctx); err != nil || ok {
		return err
	}
	if err := r.build(ctx, ref, out, exists, makeContext); err != nil {
		return err
	}
	p.source = sourceBuilt
	return nil
}

// build builds ref from a context made by makeContext, whose Dockerfile
// sets the image's labels with labelLine; current tells whether another
// server made ref meanwhile (see publish).
func (r *Registry) build(ctx context.Context, ref string, out io.Writer, current func(context.Context) (bool, error), makeContext func() (io.ReadCloser, error)) error {
	rc, err := makeContext()
	if err != nil {
		return err
	}
	defer rc.Close()
	return r.publish(ctx, ref, out, current, func(tmp string) error {
		if _, err := r.Driver.BuildImage(ctx, lambda.BuildRequest{Context: rc, Tags: []string{tmp}, Output: out}); err != nil {
			return fmt.Errorf("build %s: %w", ref, err)
		}
		return nil
	})
}

// labelLine is one LABEL instruction with labels and lambda.managed: the
// classic builder spends a step (about a second) on each label passed
// with the build request.
func labelLine(labels map[string]string) string {
	all := map[string]string{lambda.LabelManaged: "true"}
	for k, v := range labels {
		all[k] = v
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("LABEL")
	for _, k := range keys {
		b.WriteString(" " + strconv.Quote(k) + "=" + strconv.Quote(all[k]))
	}
	return b.String() + "\n"
}

// cleanupReader runs cleanup after closing the stream.
type cleanupReader struct {
	io.ReadCloser
	cleanup func()
}

func (c *cleanupReader) Close() error {
	err := c.ReadCloser.Close()
	c.cleanup()
	return err
}
