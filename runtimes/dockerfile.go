package runtimes

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/lambdahq/lambda"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// dockerfileRuntime builds a directory with its own Dockerfile as is. The
// image must serve HTTP on $PORT, which the platform sets.
type dockerfileRuntime struct{}

func (dockerfileRuntime) Name() string           { return lambda.RuntimeDockerfile }
func (dockerfileRuntime) Files() []string        { return []string{"Dockerfile"} }
func (dockerfileRuntime) Detect(dir string) bool { return hasFile(dir, "Dockerfile") }

// Context tars dir, leaving out what its .dockerignore excludes, as
// `docker build` does: the engine itself would send ignored files to COPY.
func (dockerfileRuntime) Context(ctx context.Context, dir string, out io.Writer) (io.ReadCloser, error) {
	skip, err := dockerignore(dir)
	if err != nil {
		return nil, err
	}
	if out != nil {
		fmt.Fprintln(out, "runtime dockerfile: building the function's own Dockerfile")
	}
	return streamTar(func(tw *tar.Writer) error { return addDir(tw, dir, skip) }, nil), nil
}

// dockerignore returns a skip function for addDir from dir/.dockerignore,
// or nil when there is none. The Dockerfile and .dockerignore are always
// sent: the engine needs the first and drops the second.
func dockerignore(dir string) (func(string, bool) (bool, bool), error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "cannot read .dockerignore: %w", err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, ".dockerignore is invalid: %w", err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, ".dockerignore has an invalid pattern: %w", err)
	}
	return func(rel string, isDir bool) (bool, bool) {
		if rel == "Dockerfile" || rel == ".dockerignore" {
			return false, false
		}
		m, err := pm.MatchesOrParentMatches(rel)
		if err != nil || !m {
			return false, false
		}
		// An exception ("!pattern") may bring back files inside an
		// ignored directory, so look inside it.
		return true, isDir && pm.Exclusions()
	}, nil
}
