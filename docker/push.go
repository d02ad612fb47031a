package docker

import (
	"context"
	"io"
	"strings"

	"github.com/distribution/reference"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/client"
)

// emptyAuth is the base64 of "{}": Docker 20.10 refuses a push without an
// X-Registry-Auth header even for a registry that needs none.
const emptyAuth = "e30="

// PushImage tags image as ref, pushes ref and returns the digest reference
// the registry stored (NAME@sha256:…), which every node can pull.
func (d *Driver) PushImage(ctx context.Context, image, ref string, out io.Writer) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", lambda.Errorf(lambda.EINVALID, "image reference %q is invalid: %v", ref, err)
	}
	if _, ok := named.(reference.Digested); ok {
		return "", lambda.Errorf(lambda.EINVALID, "image reference %q has a digest: push needs a tag", ref)
	}
	named = reference.TagNameOnly(named)
	if _, err := d.cli.ImageTag(ctx, client.ImageTagOptions{Source: image, Target: named.String()}); err != nil {
		return "", d.wrap(err, "tag %s as %s", image, ref)
	}
	rc, err := d.cli.ImagePush(ctx, named.String(), client.ImagePushOptions{RegistryAuth: emptyAuth})
	if err != nil {
		if isUnreachable(err) || ctx.Err() != nil {
			return "", d.wrap(err, "push %s", ref)
		}
		return "", lambda.Errorf(lambda.EUNAVAILABLE, "push %s failed: %s", ref, daemonMessage(err))
	}
	defer rc.Close()
	sr, err := renderStream(rc, &lenientWriter{w: out})
	switch {
	case err != nil && ctx.Err() != nil:
		return "", d.wrap(ctx.Err(), "push %s", ref)
	case err != nil:
		return "", d.wrap(err, "read push progress of %s", ref)
	case sr.Err != "":
		// The daemon reaches the registry, not the server: "connection
		// refused", "no such host" or an HTTPS answer to an insecure
		// registry all land here.
		return "", lambda.Errorf(lambda.EUNAVAILABLE, "push %s to registry %s failed: %s", ref, reference.Domain(named), sr.Err)
	case !strings.HasPrefix(sr.Digest, "sha256:"):
		return "", lambda.Errorf(lambda.EUNAVAILABLE, "push %s: the registry reported no digest", ref)
	}
	return named.Name() + "@" + sr.Digest, nil
}
