package docker

import (
	"context"
	"io"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/client"
)

// ImageExists reports whether ref (a tag or ID) is present locally.
func (d *Driver) ImageExists(ctx context.Context, ref string) (bool, error) {
	if ref == "" {
		return false, nil
	}
	_, err := d.cli.ImageInspect(ctx, ref)
	switch {
	case err == nil:
		return true, nil
	case cerrdefs.IsNotFound(err):
		return false, nil
	}
	return false, d.wrap(err, "inspect image %s", ref)
}

// PullImage pulls ref, writing progress lines to out (may be nil).
func (d *Driver) PullImage(ctx context.Context, ref string, out io.Writer) error {
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return lambda.Errorf(lambda.EINVALID, "image reference %q is invalid: %v", ref, err)
	}
	rc, err := d.cli.ImagePull(ctx, ref, client.ImagePullOptions{})
	switch {
	case err == nil:
	case isUnreachable(err) || ctx.Err() != nil:
		return d.wrap(err, "pull %s", ref)
	case cerrdefs.IsNotFound(err):
		return lambda.Errorf(lambda.ENOTFOUND, "image %s not found in its registry: %s", ref, daemonMessage(err))
	default:
		return lambda.Errorf(lambda.EUNAVAILABLE, "pull %s failed: %s", ref, daemonMessage(err))
	}
	defer rc.Close()
	sr, err := renderStream(rc, &lenientWriter{w: out})
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return d.wrap(err, "read pull progress of %s", ref)
	}
	if sr.Err != "" {
		if strings.Contains(sr.Err, "not found") || strings.Contains(sr.Err, "manifest unknown") {
			return lambda.Errorf(lambda.ENOTFOUND, "image %s not found in its registry: %s", ref, sr.Err)
		}
		return lambda.Errorf(lambda.EUNAVAILABLE, "pull %s failed: %s", ref, sr.Err)
	}
	return nil
}

// RemoveImage untags ref and removes the image and its untagged parents
// once nothing else refers to them, after the builds running on this
// driver (whose cached layers those parents may be). An image a container
// still uses is a conflict: the caller must stop its instances first.
func (d *Driver) RemoveImage(ctx context.Context, ref string) error {
	if ref == "" {
		return lambda.Errorf(lambda.EINVALID, "image reference is empty")
	}
	d.cache.Lock()
	defer d.cache.Unlock()
	_, err := d.cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{PruneChildren: true})
	switch {
	case err == nil, cerrdefs.IsNotFound(err):
		return nil
	case cerrdefs.IsConflict(err):
		return lambda.Errorf(lambda.ECONFLICT, "image %s is in use: %s", ref, daemonMessage(err))
	}
	return d.wrap(err, "remove image %s", ref)
}
