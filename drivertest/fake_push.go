package drivertest

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/distribution/reference"
	"github.com/lambdahq/lambda"
)

// SetRegistryDown makes pushes to host (HOST:PORT, as in an image
// reference) fail as an unreachable registry does, or succeed again.
func (f *Fake) SetRegistryDown(host string, down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.registriesDown == nil {
		f.registriesDown = map[string]bool{}
	}
	f.registriesDown[host] = down
}

// PushImage tags image as ref and "pushes" it: the image becomes known
// under its digest reference NAME@sha256:… (the image's ID stands for the
// manifest's digest), as a pushed image is on the engine that pushed it.
func (f *Fake) PushImage(ctx context.Context, image, ref string, out io.Writer) (string, error) {
	if err := f.check(ctx); err != nil {
		return "", err
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", lambda.Errorf(lambda.EINVALID, "image reference %q is invalid: %v", ref, err)
	}
	if _, ok := named.(reference.Digested); ok {
		return "", lambda.Errorf(lambda.EINVALID, "image reference %q has a digest: push needs a tag", ref)
	}
	named = reference.TagNameOnly(named)
	f.mu.Lock()
	defer f.mu.Unlock()
	img := f.resolveLocked(image)
	if img == nil {
		return "", lambda.Errorf(lambda.ENOTFOUND, "image %s not found", image)
	}
	host := reference.Domain(named)
	if f.registriesDown[host] {
		return "", lambda.Errorf(lambda.EUNAVAILABLE, "push %s to registry %s failed: Get \"http://%s/v2/\": dial tcp: connection refused", ref, host, host)
	}
	digestRef := named.Name() + "@" + img.ID
	for _, tag := range []string{normalizeTag(ref), digestRef} {
		if old := f.images[f.tags[tag]]; old != nil && old != img {
			f.untagLocked(old, tag)
		}
		if f.tags[tag] != img.ID {
			f.tags[tag] = img.ID
			img.Tags = append(img.Tags, tag)
		}
	}
	fmt.Fprintf(&lenientWriter{w: out}, "The push refers to repository [%s]\n%s: digest: %s\n",
		named.Name(), strings.TrimPrefix(named.String(), named.Name()+":"), img.ID)
	return digestRef, nil
}
