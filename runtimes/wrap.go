package runtimes

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/lambdahq/lambda"
)

// WrapContext returns a build context FROM image that runs the image's
// command (ENTRYPOINT and CMD) behind the shim for cfg.Protocol, aws or
// stdio. It implements engine.Builder.
func (r *Registry) WrapContext(ctx context.Context, image *lambda.Image, cfg lambda.Config, out io.Writer) (io.ReadCloser, error) {
	if out == nil {
		out = io.Discard
	}
	if image == nil || image.ID == "" {
		return nil, lambda.Errorf(lambda.EINVALID, "no image to wrap")
	}
	if !wrappable(cfg.Protocol) {
		return nil, lambda.Errorf(lambda.EINVALID, "protocol %q does not run an image behind the shim: use aws or stdio (an http image runs as it is)", cfg.Protocol)
	}
	command := imageCommand(image)
	if len(command) == 0 {
		return nil, lambda.Errorf(lambda.EINVALID, "image %s has no command (ENTRYPOINT or CMD) for the shim to run with protocol %s: "+
			"add one to the image, e.g. CMD [\"/var/task/bootstrap\"]", imageName(image), cfg.Protocol)
	}
	shim, err := r.ensureShim(ctx, out)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "wrap: running %s behind the shim (protocol %s)\n", execForm(command), cfg.Protocol)
	df := wrapDockerfile(image.ID, shim, cfg.Protocol, command)
	return streamTar(func(tw *tar.Writer) error {
		return addBytes(tw, "Dockerfile", []byte(df), 0o644)
	}, nil), nil
}

func wrapDockerfile(from, shim, protocol string, command []string) string {
	return "FROM " + from + "\n" +
		"COPY --from=" + shim + " /shim " + shimPath + "\n" +
		"ENTRYPOINT " + execForm(shimEntrypoint(protocol, command...)) + "\n" +
		"CMD []\n"
}

// imageCommand is what the image runs; for an image already behind the
// shim (a function image deployed again), the command behind it.
func imageCommand(image *lambda.Image) []string {
	command := append(append([]string(nil), image.Entrypoint...), image.Cmd...)
	if len(command) > 0 && command[0] == shimPath {
		for i, arg := range command {
			if arg == "--" {
				return command[i+1:]
			}
		}
	}
	return command
}

func imageName(image *lambda.Image) string {
	if len(image.Tags) > 0 {
		return image.Tags[0]
	}
	return image.ID
}

// wrapBuilt builds a function's own Dockerfile (the context own) into an
// untagged image and returns the context that wraps it. The untagged image
// becomes the parent of the function's image; closing the context removes
// it if nothing was built on it.
func (r *Registry) wrapBuilt(ctx context.Context, own io.ReadCloser, cfg lambda.Config, out io.Writer) (io.ReadCloser, error) {
	defer own.Close()
	if r.Images == nil {
		return nil, lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server's container driver cannot inspect images, so it cannot run a Dockerfile with protocol %s", cfg.Protocol)
	}
	id, err := r.Driver.BuildImage(ctx, lambda.BuildRequest{Context: own, Output: out})
	if err != nil {
		return nil, err
	}
	remove := func() {
		rctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// With the function's image built on it, removal is refused as a
		// conflict: that is the expected outcome.
		_ = r.Driver.RemoveImage(rctx, id)
	}
	img, err := r.Images.InspectImage(ctx, id)
	if err != nil {
		remove()
		return nil, err
	}
	wrapped, err := r.WrapContext(ctx, img, cfg, out)
	if err != nil {
		remove()
		if lambda.ErrorCode(err) == lambda.EINVALID && len(imageCommand(img)) == 0 {
			return nil, lambda.Errorf(lambda.EINVALID, "the Dockerfile sets no command (ENTRYPOINT or CMD) for the shim to run with protocol %s: "+
				"add one, e.g. CMD [\"/app/handler\"]", cfg.Protocol)
		}
		return nil, err
	}
	return &cleanupReader{ReadCloser: wrapped, cleanup: remove}, nil
}
