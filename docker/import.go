package docker

import (
	"context"
	"io"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/client"
)

// ImportImage creates image ref from rootfs, a tar stream of a root
// filesystem, as `docker import` does. changes are Dockerfile instructions
// applied to its configuration (CMD, ENV, LABEL, WORKDIR...). The runtimes
// package assembles base images with it where no registry answers.
func (d *Driver) ImportImage(ctx context.Context, rootfs io.Reader, ref string, changes []string) error {
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return lambda.Errorf(lambda.EINVALID, "image reference %q is invalid: %v", ref, err)
	}
	rc, err := d.cli.ImageImport(ctx, client.ImageImportSource{Source: rootfs, SourceName: "-"}, ref,
		client.ImageImportOptions{Changes: changes, Message: "assembled by lambda"})
	if err != nil {
		if isUnreachable(err) || ctx.Err() != nil {
			return d.wrap(err, "import image %s", ref)
		}
		return lambda.Errorf(lambda.EINVALID, "import image %s failed: %s", ref, daemonMessage(err))
	}
	defer rc.Close()
	sr, err := renderStream(rc, io.Discard)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return d.wrap(err, "read import progress of %s", ref)
	}
	if sr.Err != "" {
		return lambda.Errorf(lambda.EINVALID, "import image %s failed: %s", ref, sr.Err)
	}
	return nil
}

// TagImage gives image source (a tag or ID) the further name target, moving
// target from whatever image it named before. The runtimes package makes
// shared images under private names and tags them once complete, so that
// servers sharing an engine never race on one name.
func (d *Driver) TagImage(ctx context.Context, source, target string) error {
	if _, err := reference.ParseNormalizedNamed(target); err != nil {
		return lambda.Errorf(lambda.EINVALID, "image reference %q is invalid: %v", target, err)
	}
	if _, err := d.cli.ImageTag(ctx, client.ImageTagOptions{Source: source, Target: target}); err != nil {
		if cerrdefs.IsNotFound(err) {
			return lambda.Errorf(lambda.ENOTFOUND, "image %s not found", source)
		}
		return d.wrap(err, "tag image %s as %s", source, target)
	}
	return nil
}

// DanglingImages lists the IDs of the untagged top-level images carrying
// every label of labels, in any namespace: the runtimes package removes the
// copies of shared images that concurrent servers left untagged.
func (d *Driver) DanglingImages(ctx context.Context, labels map[string]string) ([]string, error) {
	f := make(client.Filters).Add("dangling", "true")
	for k, v := range labels {
		f.Add("label", k+"="+v)
	}
	res, err := d.cli.ImageList(ctx, client.ImageListOptions{Filters: f})
	if err != nil {
		return nil, d.wrap(err, "list images")
	}
	ids := make([]string, 0, len(res.Items))
	for _, img := range res.Items {
		ids = append(ids, img.ID)
	}
	return ids, nil
}
