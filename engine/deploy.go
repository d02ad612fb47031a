package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/lambdahq/lambda"
)

// ImageName is the repository every version of a function is tagged in.
func ImageName(function string) string { return "func-" + function }

func (e *Engine) deploy(ctx context.Context, req lambda.DeployRequest) (*lambda.Deployment, error) {
	cfg, err := e.checkRequest(ctx, req)
	if err != nil {
		return nil, err
	}
	p := req.Progress
	if p == nil {
		p = discardProgress{}
	}
	if err := e.Driver.Ping(ctx); err != nil {
		return nil, err
	}
	if req.Image != "" || req.ImageArchive != nil {
		d, err := e.deployImage(ctx, req, cfg, p)
		return e.applySchedules(ctx, req, d, err)
	}

	dir, err := os.MkdirTemp(e.TempDir, "lambda-deploy-")
	if err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	defer os.RemoveAll(dir)
	t := tree{dir: dir}
	if req.Git != nil {
		t.sum, t.git, err = e.cloneTree(ctx, *req.Git, dir, p, true)
	} else {
		p.Step(1, 3, "Unpacking function code")
		start := time.Now()
		t.sum, err = e.Extract(req.Code, dir)
		e.stepDone(req.Name, "receive and extract the code", start)
	}
	if err != nil {
		return nil, err
	}
	req.Progress = p
	out, err := e.deployTree(ctx, t, treeRequest{Function: &req})
	if err != nil {
		return nil, err
	}
	return out.Functions[0], nil
}

// deployFunctionTree deploys the tree in t as the one function req names,
// its lambda.yaml (if any) applied under req: steps 2 and 3 of 3.
func (e *Engine) deployFunctionTree(ctx context.Context, t tree, req lambda.DeployRequest, m *lambda.DeployManifest) (*lambda.Deployment, error) {
	p := req.Progress
	req = m.Under(req)
	cfg, err := e.checkRequest(ctx, req)
	if err != nil {
		return nil, err
	}
	ctx, unlock := e.lockCancelable(ctx, req.Name)
	defer unlock()
	if d, err := e.unchangedCode(ctx, req, t.dir, cfg, t.sum); d != nil || err != nil {
		return e.applySchedules(ctx, req, d, err)
	}
	number, err := e.Store.NextVersion(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	p.Step(2, 3, fmt.Sprintf("Building image %q", ImageName(req.Name)))
	v, err := e.build(ctx, req.Name, t.dir, cfg, number, t.sum, logWriter{p})
	if err != nil {
		return nil, canceled(ctx, err)
	}
	v.Git = t.git
	p.Step(3, 3, "Starting container")
	start := time.Now()
	d, err := e.published(e.activateFor(ctx, v, req))
	e.stepDone(req.Name, "start the new version and switch to it", start)
	return e.applySchedules(ctx, req, d, err)
}

// activate warms max(1, min instances) instances of the freshly built v,
// records v and switches traffic to it. On failure v's image is removed and
// nothing is recorded.
func (e *Engine) activate(ctx context.Context, v *lambda.Version, patch lambda.ScalingPatch) (*lambda.Function, error) {
	fn, err := e.activateOnce(ctx, v, patch)
	return fn, canceled(ctx, err)
}

func (e *Engine) activateOnce(ctx context.Context, v *lambda.Version, patch lambda.ScalingPatch) (*lambda.Function, error) {
	var current lambda.Scaling
	fn, err := e.Store.FindFunction(ctx, v.Function)
	switch {
	case err == nil:
		current = fn.Scaling
	case lambda.ErrorCode(err) != lambda.ENOTFOUND:
		e.removeImage(v)
		return nil, err
	}
	sc := patch.Apply(current)
	if err := sc.Validate(); err != nil {
		e.removeImage(v)
		return nil, err
	}
	warm, err := e.warmUp(ctx, v, sc.Effective(v.Config.Protocol))
	if err != nil {
		e.removeImage(v)
		return nil, fmt.Errorf("version %d did not start, the previous version keeps serving: %w", v.Number, err)
	}
	err = e.Store.PublishVersion(ctx, v)
	if err == nil && (fn == nil || !patch.IsZero()) {
		err = e.Store.SetScaling(ctx, v.Function, sc)
	}
	if err != nil {
		for _, in := range warm {
			e.stopInstance(in)
		}
		e.removeImage(v)
		return nil, err
	}
	e.switchTo(v.Function, v, sc, warm)
	e.Logger.Info("deployed", "function", v.Function, "version", v.Number, "runtime", v.Config.Runtime, "protocol", v.Config.Protocol, "image", v.ImageID, "warm", len(warm))
	return e.Store.FindFunction(ctx, v.Function)
}

// build turns the extracted code in dir into the image of a new version.
// A build that lost a race with the container engine's state (ECONFLICT:
// e.g. a cached layer removed by another program mid-build) is retried once.
func (e *Engine) build(ctx context.Context, name, dir string, cfg lambda.Config, number int, sum string, out io.Writer) (*lambda.Version, error) {
	v, err := e.buildOnce(ctx, name, dir, cfg, number, sum, out)
	if lambda.ErrorCode(err) == lambda.ECONFLICT {
		fmt.Fprintf(out, "build raced with a change to the image cache (%v); building again\n", err)
		v, err = e.buildOnce(ctx, name, dir, cfg, number, sum, out)
	}
	return v, err
}

func (e *Engine) buildOnce(ctx context.Context, name, dir string, cfg lambda.Config, number int, sum string, out io.Writer) (*lambda.Version, error) {
	start := time.Now()
	cfg, tar, err := e.Builder.BuildContext(ctx, dir, cfg, out)
	if err != nil {
		return nil, err
	}
	defer tar.Close()
	// For a Go function on the host's toolchain, the compile.
	e.stepDone(name, "prepare the build context", start)
	start = time.Now()
	v, err := e.buildImage(ctx, name, number, cfg, sum, tar, out)
	e.stepDone(name, "build the image", start)
	return v, err
}

// buildImage builds the context tar into the image of version number.
func (e *Engine) buildImage(ctx context.Context, name string, number int, cfg lambda.Config, sum string, tar io.Reader, out io.Writer) (*lambda.Version, error) {
	tag := versionTag(name, number)
	start := time.Now()
	id, err := e.ImageBuilder.BuildImage(ctx, lambda.BuildRequest{
		Context: tar,
		Tags:    []string{tag},
		Labels: map[string]string{
			lambda.LabelManaged:  "true",
			lambda.LabelFunction: name,
			lambda.LabelVersion:  strconv.Itoa(number),
		},
		Output: out,
	})
	if err != nil {
		return nil, err
	}
	if e.DeployObserver != nil {
		e.DeployObserver.ObserveBuild(name, time.Since(start))
	}
	if id, err = e.push(ctx, id, tag, out); err != nil {
		return nil, err
	}
	return &lambda.Version{
		Function:   name,
		Number:     number,
		Image:      tag,
		ImageID:    id,
		Config:     cfg,
		CodeSHA256: sum,
		CreatedAt:  time.Now().UTC(),
	}, nil
}

// removeImage removes the image of v, a version that failed to go live or
// that is deleted, and what it pushed to the registry.
func (e *Engine) removeImage(v *lambda.Version) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, ref := range e.versionTags(v) {
		if err := e.ImageBuilder.RemoveImage(ctx, ref); err != nil {
			e.Logger.Error("remove image", "image", ref, "err", err)
		}
	}
	e.unpush(ctx, v)
}

// canceled returns why ctx was cancelled in place of err when a delete of
// the function ended the deploy: the build's or warm-up's own error would
// only say "context canceled".
func canceled(ctx context.Context, err error) error {
	var le *lambda.Error
	if err != nil && ctx.Err() != nil && errors.As(context.Cause(ctx), &le) {
		return le
	}
	return err
}

type discardProgress struct{}

func (discardProgress) Step(int, int, string) {}
func (discardProgress) Log(string)            {}

// logWriter adapts Progress to an io.Writer for build output.
type logWriter struct{ p lambda.Progress }

func (w logWriter) Write(b []byte) (int, error) {
	w.p.Log(string(b))
	return len(b), nil
}

func versionTag(function string, number int) string {
	return ImageName(function) + ":v" + strconv.Itoa(number)
}
