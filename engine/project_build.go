package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lambdahq/lambda"
)

// sharedBuilds are the build contexts a project deploy made, by what
// decides them, so that functions with the same build inputs (runtime,
// protocol, handler, one tree) prepare their context once: a Go program
// compiled on the host is compiled once. Each function still gets an
// image of its own (its labels and tag, removed with it) from the same
// context, which Docker's build cache serves without running any step
// again; an image FROM another function's would tie the two (an image
// with children cannot be removed).
type sharedBuilds struct {
	dir   string // where the contexts are spooled
	byKey map[string]sharedBuild
}

type sharedBuild struct {
	path     string        // the spooled context
	resolved lambda.Config // the Runtime, Protocol and Handler it resolved
	first    string        // the function it was made for
}

func newSharedBuilds(tempDir string) (*sharedBuilds, error) {
	dir, err := os.MkdirTemp(tempDir, "lambda-contexts-")
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	return &sharedBuilds{dir: dir, byKey: map[string]sharedBuild{}}, nil
}

func (s *sharedBuilds) close() { os.RemoveAll(s.dir) }

// buildKey is what decides a function's build context.
func buildKey(cfg lambda.Config, sum string) string {
	return fmt.Sprintf("%q %q %q %q", cfg.Runtime, cfg.Protocol, cfg.Handler, sum)
}

// buildShared builds version number of name from the tree in dir, like
// build, reusing the context of an earlier function of the deploy with
// the same build inputs.
func (e *Engine) buildShared(ctx context.Context, name, dir string, cfg lambda.Config, number int, sum string, shared *sharedBuilds, out io.Writer) (*lambda.Version, error) {
	v, err := e.buildSharedOnce(ctx, name, dir, cfg, number, sum, shared, out)
	if lambda.ErrorCode(err) == lambda.ECONFLICT {
		fmt.Fprintf(out, "build raced with a change to the image cache (%v); building again\n", err)
		v, err = e.buildSharedOnce(ctx, name, dir, cfg, number, sum, shared, out)
	}
	return v, err
}

func (e *Engine) buildSharedOnce(ctx context.Context, name, dir string, cfg lambda.Config, number int, sum string, shared *sharedBuilds, out io.Writer) (*lambda.Version, error) {
	key := buildKey(cfg, sum)
	b, ok := shared.byKey[key]
	if ok {
		fmt.Fprintf(out, "Same build inputs as function %s: its build context is reused\n", b.first)
	} else {
		resolved, tar, err := e.Builder.BuildContext(ctx, dir, cfg, out)
		if err != nil {
			return nil, err
		}
		defer tar.Close()
		f, err := os.CreateTemp(shared.dir, "context-")
		if err != nil {
			return nil, fmt.Errorf("build: %w", err)
		}
		_, err = io.Copy(f, tar)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("build: spool the build context: %w", err)
		}
		b = sharedBuild{path: f.Name(), resolved: resolved, first: name}
		shared.byKey[key] = b
	}
	cfg.Runtime, cfg.Protocol, cfg.Handler = b.resolved.Runtime, b.resolved.Protocol, b.resolved.Handler
	f, err := os.Open(b.path)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	defer f.Close()
	return e.buildImage(ctx, name, number, cfg, sum, f, out)
}

// projectTreeSum hashes the tree in dir without its lambda.yaml: each
// function's settings are compared on their own, so that editing one
// entry of a project's manifest publishes that function alone.
func projectTreeSum(dir string) (string, error) { return treeSum(dir, manifestFile) }

// treeSum hashes the tree in dir as it is on disk (names, modes, contents
// and link targets), leaving out the file named skip at its root ("" for
// none): the same files give the same sum, whatever archive brought them.
func treeSum(dir, skip string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." || (skip != "" && rel == skip) {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%q %o\n", filepath.ToSlash(rel), info.Mode())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "-> %q\n", target)
		case info.Mode().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			fmt.Fprintf(h, "%d\n", info.Size())
			if _, err := io.Copy(h, f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash the project's tree: %w", err)
	}
	return "tree:" + hex.EncodeToString(h.Sum(nil)), nil
}

// manifestFile is the manifest's name at a tree's root.
const manifestFile = "lambda.yaml"
