package engine

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/lambdahq/lambda"
)

// deployImage deploys a prebuilt image (pulled when missing) or the image
// of a `docker save` archive. The image is never modified: the version gets
// its own image FROM it, labelled as the platform's, with the shim in front
// for the aws and stdio protocols.
func (e *Engine) deployImage(ctx context.Context, req lambda.DeployRequest, cfg lambda.Config, p lambda.Progress) (*lambda.Deployment, error) {
	if e.Images == nil {
		return nil, lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server cannot deploy prebuilt images")
	}
	if cfg.Protocol == lambda.ProtocolHandler {
		return nil, lambda.Errorf(lambda.EINVALID, "protocol %q is for the platform's handler runtimes: deploy an image with http, aws or stdio", cfg.Protocol)
	}
	ref := req.Image
	if req.ImageArchive != nil {
		p.Step(1, 2, "Loading image archive")
		refs, err := e.Images.LoadImage(ctx, req.ImageArchive, logWriter{p})
		if err != nil {
			return nil, err
		}
		if len(refs) != 1 {
			return nil, lambda.Errorf(lambda.EINVALID, "the image archive holds %d images (%s): save exactly one", len(refs), strings.Join(refs, ", "))
		}
		ref = refs[0]
	} else {
		p.Step(1, 2, fmt.Sprintf("Resolving image %q", ref))
	}
	img, err := e.resolveImage(ctx, ref, p)
	if err != nil {
		return nil, err
	}
	if owner := img.Labels[lambda.LabelFunction]; owner != "" && img.Labels[lambda.LabelManaged] == "true" &&
		len(req.OnlyFunctions) > 0 && !slices.Contains(req.OnlyFunctions, owner) {
		return nil, lambda.Errorf(lambda.EFORBIDDEN, "image %q is function %q's, built by the platform with its code: a key limited to %s may deploy only their images or images the platform did not build", ref, owner, strings.Join(req.OnlyFunctions, ", "))
	}
	if len(req.OnlyFunctions) > 0 {
		if req.ImageArchive == nil {
			if err := checkUntagged(ref, img); err != nil {
				return nil, err
			}
		}
		// The version's image is built FROM img: its ONBUILD triggers run.
		if err := e.checkImagesOwned(ctx, onBuildImages(img), req.OnlyFunctions, false); err != nil {
			return nil, err
		}
	}
	cfg.Runtime = lambda.RuntimeImage
	if cfg.Protocol == "" {
		cfg.Protocol = lambda.ProtocolHTTP
	}

	ctx, unlock := e.lockCancelable(ctx, req.Name)
	defer unlock()
	if d, err := e.unchangedImage(ctx, req, cfg, img.ID); d != nil || err != nil {
		return d, err
	}
	number, err := e.Store.NextVersion(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	var bctx io.ReadCloser
	if cfg.Protocol == lambda.ProtocolHTTP {
		bctx, err = fromContext(img.ID)
	} else {
		bctx, err = e.Builder.WrapContext(ctx, img, cfg, logWriter{p})
	}
	if err != nil {
		return nil, err
	}
	defer bctx.Close()
	v, err := e.buildImage(ctx, req.Name, number, cfg, img.ID, bctx, logWriter{p})
	if err != nil {
		return nil, canceled(ctx, err)
	}
	p.Step(2, 2, "Starting container")
	return e.published(e.activateFor(ctx, v, req))
}

// resolveImage inspects ref, pulling it first when it is not on the host.
func (e *Engine) resolveImage(ctx context.Context, ref string, p lambda.Progress) (*lambda.Image, error) {
	img, err := e.Images.InspectImage(ctx, ref)
	if lambda.ErrorCode(err) != lambda.ENOTFOUND {
		return img, err
	}
	p.Log(fmt.Sprintf("Image %q is not on the host; pulling it\n", ref))
	if err := e.ImageBuilder.PullImage(ctx, ref, logWriter{p}); err != nil {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "image %q is not on the host and could not be pulled: %v; load it with \"lambda deploy --image-archive\" or \"docker load\"", ref, lambda.ErrorMessage(err))
	}
	return e.Images.InspectImage(ctx, ref)
}

// fromContext is a build context holding just `FROM id`, so the version's
// image carries the platform's labels and tag without copying anything.
func fromContext(id string) (io.ReadCloser, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	df := []byte("FROM " + id + "\n")
	if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(df))}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(df); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return io.NopCloser(&buf), nil
}
