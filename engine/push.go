package engine

import (
	"context"
	"fmt"
	"io"

	"github.com/lambdahq/lambda"
)

// push makes the image id of tag runnable on every node: with a registry
// configured it is pushed as REGISTRY/tag and the returned identity is the
// pushed digest reference (REGISTRY/func-NAME@sha256:…), which names that
// exact image whatever is pushed under the tag later. Without a registry
// the local ID is the identity. A registry that does not answer fails the
// deploy before anything is switched: the active version keeps serving.
func (e *Engine) push(ctx context.Context, id, tag string, out io.Writer) (string, error) {
	if e.Registry == "" {
		return id, nil
	}
	ref := e.Registry + "/" + tag
	if out != nil {
		fmt.Fprintf(out, "Pushing %s\n", ref)
	}
	pushed, err := e.ImageBuilder.PushImage(ctx, id, ref, out)
	if err != nil {
		return "", lambda.Errorf(lambda.ErrorCode(err), "push the image to registry %s: %s (the nodes pull from it: check that it runs and that the server's Docker engine reaches it)", e.Registry, lambda.ErrorMessage(err))
	}
	return pushed, nil
}
