package docker

import (
	"context"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/client"
)

// buildLogTail is how many lines of build output a failed build quotes.
const buildLogTail = 20

// BuildImage builds req.Context with the classic builder (BuildKit needs a
// session the API client does not offer), streaming the log to req.Output.
// A context whose Dockerfile ends with the code's COPY (lambda.CodeLayerMarker)
// has that layer written by the driver (build_code.go).
func (d *Driver) BuildImage(ctx context.Context, req lambda.BuildRequest) (string, error) {
	if req.Context == nil {
		return "", lambda.Errorf(lambda.EINVALID, "build context is missing")
	}
	d.cache.RLock()
	defer d.cache.RUnlock()
	labels := d.buildLabels(req.Labels)
	context, id, err := d.buildWithCodeLayer(ctx, req, labels)
	if id != "" || err != nil {
		return id, err
	}
	if len(labels) > 0 {
		context = withLabels(context, labels)
	}
	return d.build(ctx, context, req.Tags, req.Output)
}

// build runs the classic builder on context and returns the image's ID.
func (d *Driver) build(ctx context.Context, context io.Reader, tags []string, output io.Writer) (string, error) {
	res, err := d.cli.ImageBuild(ctx, context, client.ImageBuildOptions{
		Tags:        tags,
		Dockerfile:  "Dockerfile",
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
	})
	if err != nil {
		if isUnreachable(err) || ctx.Err() != nil {
			return "", d.wrap(err, "build image")
		}
		// The daemon rejected the context before building (no Dockerfile,
		// not a tar...): the user's input is at fault.
		return "", lambda.Errorf(lambda.EINVALID, "build failed: %s", daemonMessage(err))
	}
	defer res.Body.Close()

	tail := newTailWriter(buildLogTail)
	out := io.MultiWriter(tail, &lenientWriter{w: output})
	sr, err := renderStream(res.Body, out)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return "", d.wrap(err, "read build output")
	}
	if sr.Err != "" {
		return "", buildError(sr.Err, tail.String())
	}
	if sr.ImageID != "" {
		return sr.ImageID, nil
	}
	// Daemons before API 1.30 do not announce the ID; ask for it.
	if len(tags) > 0 {
		img, err := d.cli.ImageInspect(ctx, tags[0])
		if err != nil {
			return "", d.wrap(err, "inspect built image %s", tags[0])
		}
		return img.ID, nil
	}
	return "", fmt.Errorf("docker: build finished without reporting an image ID; tag the image to find it")
}

// buildLabels adds the driver's namespace to the labels of a function's
// image, so that a restarted server cleans up its own images and no other
// server's. Images shared by every server (runtimes, the shim) carry no
// function label and get no namespace.
func (d *Driver) buildLabels(labels map[string]string) map[string]string {
	if d.Namespace == "" || labels[lambda.LabelFunction] == "" {
		return labels
	}
	out := maps.Clone(labels)
	out[lambda.LabelServer] = d.Namespace
	return out
}

// buildError classifies a failure the build reported. Most are the
// function's (a bad Dockerfile, a failing RUN): EINVALID. But removing an
// image prunes its untagged parent layers, and the classic builder fails
// when such a layer is one it reuses from the cache at that moment (another
// server, a delete, a prune): that is a race with the engine's state, not
// the user's input, and building again succeeds (ECONFLICT, which the
// engine retries once).
func buildError(msg, log string) error {
	for _, race := range buildCacheRaces {
		if strings.Contains(msg, race) {
			return lambda.Errorf(lambda.ECONFLICT, "build raced with an image removal on the container engine: %s", msg)
		}
	}
	return lambda.Errorf(lambda.EINVALID, "build failed: %s\n%s", msg, log)
}

// buildCacheRaces are what the classic builder says when a layer it was
// using went away mid-build.
var buildCacheRaces = []string{
	"unknown parent image ID",
	"failed to get digest",
}
