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

// dockerfileRuntime builds a directory with its own Dockerfile. With the
// http protocol the image must serve HTTP on $PORT, which the platform
// sets; with aws or stdio the built image's command runs behind the shim.
type dockerfileRuntime struct{ reg *Registry }

func (*dockerfileRuntime) Name() string           { return lambda.RuntimeDockerfile }
func (*dockerfileRuntime) Files() []string        { return []string{"Dockerfile"} }
func (*dockerfileRuntime) Detect(dir string) bool { return hasFile(dir, "Dockerfile") }

func (*dockerfileRuntime) Resolve(dir string, cfg lambda.Config) (lambda.Config, error) {
	if cfg.Handler != "" {
		return cfg, lambda.Errorf(lambda.EINVALID, "handler %q is set, but a Dockerfile function has no handler setting: "+
			"remove it, or remove the Dockerfile to use the python or node runtime", cfg.Handler)
	}
	switch cfg.Protocol {
	case "":
		cfg.Protocol = lambda.ProtocolHTTP
	case lambda.ProtocolHTTP, lambda.ProtocolAWS, lambda.ProtocolStdio:
	case lambda.ProtocolHandler:
		return cfg, lambda.Errorf(lambda.EINVALID, "protocol handler is for the python and node runtimes and the Go SDK: "+
			"a Dockerfile function uses http, aws or stdio")
	default:
		return cfg, badProtocol(cfg.Protocol)
	}
	return cfg, nil
}

// Context tars dir, leaving out what its .dockerignore excludes, as
// `docker build` does: the engine itself would send ignored files to COPY.
// For aws and stdio it builds that first and wraps the result.
func (d *dockerfileRuntime) Context(ctx context.Context, dir string, cfg lambda.Config, out io.Writer) (io.ReadCloser, error) {
	if out == nil {
		out = io.Discard
	}
	cfg, err := d.Resolve(dir, cfg)
	if err != nil {
		return nil, err
	}
	skip, err := dockerignore(dir)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(out, "runtime dockerfile: building the function's own Dockerfile")
	own := streamTar(func(tw *tar.Writer) error { return addDir(tw, dir, skip) }, nil)
	if cfg.Protocol == lambda.ProtocolHTTP {
		return own, nil
	}
	return d.reg.wrapBuilt(ctx, own, cfg, out)
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
