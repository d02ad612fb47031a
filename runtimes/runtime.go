// Package runtimes turns a function directory into a Docker build context.
//
// A Registry holds the runtimes this build knows, in order of precedence:
// detection tries each in turn and the first whose files are present wins,
// so a directory with both a Dockerfile and a go.mod is built from its
// Dockerfile. New runtimes are added to the list in NewRegistry.
//
// The Registry is also the engine's Builder (BuildContext, WrapContext)
// and the server's lambda.RuntimeService: it makes the images runtimes
// build on available (the shim, the Python and Node base images), pulling
// them where a registry answers and assembling them from the host's
// Debian packages where none does.
package runtimes

import (
	"context"
	"io"

	"github.com/lambdahq/lambda"
)

// Runtime knows how to recognise one kind of function directory and how to
// build it into a container image.
type Runtime interface {
	// Name is the value users pick the runtime by (lambda.RuntimeGo, ...).
	Name() string
	// Detect reports whether dir holds a function of this runtime.
	Detect(dir string) bool
	// Files names the files Detect looks for, to tell users what is
	// missing when nothing was detected.
	Files() []string
	// Resolve checks cfg against the code in dir and fills in what the
	// runtime decides: Protocol (the user's choice when the runtime
	// supports it) and Handler. Runtime is already set.
	Resolve(dir string, cfg lambda.Config) (lambda.Config, error)
	// Context returns a tar stream with a Dockerfile at its root, ready
	// for lambda.ImageBuilder.BuildImage, for a cfg returned by Resolve.
	// Progress and compiler output go to out, which may be nil. The
	// caller must Close the stream, which also removes any temporary files
	// the runtime made.
	Context(ctx context.Context, dir string, cfg lambda.Config, out io.Writer) (io.ReadCloser, error)
}
