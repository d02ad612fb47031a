package engine

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/lambdahq/lambda"
)

// checkDockerfileImages refuses a tree whose Dockerfile reads an image the
// platform built for a function outside only (a key limited to some
// functions): FROM func-OTHER:vN, or COPY --from=func-OTHER:vN, would put
// that function's code in the deployer's image, as deploy --image would
// (deployImage refuses that). The images its FROM images run ONBUILD
// COPY --from of are checked too. Nothing to check without a Dockerfile
// or a limit.
func (e *Engine) checkDockerfileImages(ctx context.Context, dir string, only []string) error {
	if len(only) == 0 || e.Images == nil {
		return nil
	}
	df, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return e.checkImagesOwned(ctx, dockerfileImages(df), only, true)
}

// checkImagesOwned checks refs one by one; with triggers, the images the
// ONBUILD triggers of refs copy from as well.
func (e *Engine) checkImagesOwned(ctx context.Context, refs, only []string, triggers bool) error {
	for _, ref := range refs {
		if ref == "" || strings.EqualFold(ref, "scratch") {
			continue
		}
		img, err := e.Images.InspectImage(ctx, ref)
		switch {
		case lambda.ErrorCode(err) == lambda.ENOTFOUND:
			continue // pulled by the build: not an image of this host's functions
		case err != nil:
			return err
		}
		if err := checkUntagged(ref, img); err != nil {
			return err
		}
		if owner := img.Labels[lambda.LabelFunction]; owner != "" && img.Labels[lambda.LabelManaged] == "true" && !slices.Contains(only, owner) {
			return lambda.Errorf(lambda.EFORBIDDEN, "the build reads image %q (FROM, COPY --from or an image's ONBUILD trigger), function %q's, built by the platform with its code: a key limited to %s may build only on their images or images the platform did not build", ref, owner, strings.Join(only, ", "))
		}
		if triggers {
			if err := e.checkImagesOwned(ctx, onBuildImages(img), only, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// idRef matches an image ID or a prefix of one, which Docker resolves to
// any image, intermediate ones included.
var idRef = regexp.MustCompile(`^(sha256:)?[0-9a-f]{1,64}$`)

// checkUntagged refuses, to a key limited to some functions, an image
// named by its ID (or a prefix of it, which can be guessed) that has no
// tag: the builder's intermediate images (the parents of func-OTHER:vN,
// their cache) hold another function's code without its label.
func checkUntagged(ref string, img *lambda.Image) error {
	if len(img.Tags) == 0 && idRef.MatchString(ref) {
		return lambda.Errorf(lambda.EFORBIDDEN, "image %q has no tag: a key limited to some functions names images by tag (an untagged image may be a step of another function's build, holding its code)", ref)
	}
	return nil
}

// onBuildImages are the images img's ONBUILD triggers copy from, which
// a build FROM img reads: deploy --image builds one (FROM its ID).
func onBuildImages(img *lambda.Image) []string {
	if len(img.OnBuild) == 0 {
		return nil
	}
	lines := make([]string, len(img.OnBuild))
	for i, l := range img.OnBuild {
		lines[i] = "ONBUILD " + l
	}
	return dockerfileImages([]byte(strings.Join(lines, "\n")))
}
