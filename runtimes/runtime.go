// Package runtimes turns a function directory into a Docker build context.
//
// A Registry holds the runtimes this build knows, in order of precedence:
// detection tries each in turn and the first whose files are present wins,
// so a directory with both a Dockerfile and a go.mod is built from its
// Dockerfile. New runtimes are added to the list in NewRegistry.
package runtimes

import (
	"context"
	"io"
)

// Runtime knows how to recognise one kind of function directory and how to
// build it into a container image that serves HTTP on $PORT.
type Runtime interface {
	// Name is the value users pick the runtime by (lambda.RuntimeGo, ...).
	Name() string
	// Detect reports whether dir holds a function of this runtime.
	Detect(dir string) bool
	// Files names the files Detect looks for, to tell users what is
	// missing when nothing was detected.
	Files() []string
	// Context returns a tar stream with a Dockerfile at its root, ready
	// for lambda.Driver.BuildImage. Progress and compiler output go to
	// out, which may be nil. The caller must Close the stream, which also
	// removes any temporary files the runtime made.
	Context(ctx context.Context, dir string, out io.Writer) (io.ReadCloser, error)
}
