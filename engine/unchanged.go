package engine

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"sync"

	"github.com/lambdahq/lambda"
)

// ConfigResolver is implemented by Builders that can decide a config's
// runtime, protocol and handler from the code alone, as BuildContext
// would, without building anything. Without it every deploy of code
// publishes a new version.
type ConfigResolver interface {
	ResolveConfig(dir string, cfg lambda.Config) (lambda.Config, error)
}

// unchangedCode returns the deployment of the active version when the code
// extracted in dir (sum) and cfg, once resolved, are the active version's;
// nil when a new version is to be published. The caller holds name's lock.
func (e *Engine) unchangedCode(ctx context.Context, req lambda.DeployRequest, dir string, cfg lambda.Config, sum string) (*lambda.Deployment, error) {
	r, ok := e.Builder.(ConfigResolver)
	if !ok || req.Force {
		return nil, nil
	}
	return e.unchanged(ctx, req, sum, func() (lambda.Config, bool) {
		// A config that does not resolve fails the build the same way,
		// with the build's message.
		resolved, err := r.ResolveConfig(dir, cfg)
		return resolved, err == nil
	})
}

// unchangedImage is unchangedCode for an image deploy: the same image ID
// with the same config changes nothing.
func (e *Engine) unchangedImage(ctx context.Context, req lambda.DeployRequest, cfg lambda.Config, imageID string) (*lambda.Deployment, error) {
	if req.Force {
		return nil, nil
	}
	return e.unchanged(ctx, req, imageID, func() (lambda.Config, bool) { return cfg, true })
}

// unchanged compares the active version with sum and the config resolve
// returns (called only when the sums match). When they are the same, only
// req.Scaling applies. A version whose image has gone from the host is
// published again, so a redeploy repairs it. A canary deploy compares
// live's canary first (unchangedCanary).
func (e *Engine) unchanged(ctx context.Context, req lambda.DeployRequest, sum string, resolve func() (lambda.Config, bool)) (*lambda.Deployment, error) {
	fn, err := e.Store.FindFunction(ctx, req.Name)
	switch {
	case lambda.ErrorCode(err) == lambda.ENOTFOUND:
		return nil, nil
	case err != nil:
		return nil, err
	case fn.Active == nil || sum == "":
		return nil, nil
	}
	same := &sameAs{e: e, sum: sum, resolve: sync.OnceValues(resolve)}
	if req.Canary > 0 {
		return e.unchangedCanary(ctx, req, fn, same)
	}
	if ok, err := same.version(ctx, fn.Active); !ok || err != nil {
		return nil, err
	}
	return e.keepVersions(ctx, req, fn)
}

// sameAs tells whether a version's code and config are a deploy's: its
// code's sum and its config, resolved once at most.
type sameAs struct {
	e       *Engine
	sum     string
	resolve func() (lambda.Config, bool)
}

// version reports whether v has the deploy's code and config and its image
// is still on the host.
func (s *sameAs) version(ctx context.Context, v *lambda.Version) (bool, error) {
	if v.CodeSHA256 != s.sum {
		return false, nil
	}
	cfg, ok := s.resolve()
	if !ok || !sameConfig(v.Config, cfg) {
		return false, nil
	}
	present, err := s.e.ImageBuilder.ImageExists(ctx, v.ImageID)
	if err != nil || present {
		return present, err
	}
	s.e.Logger.Warn("the image of the version with the same code is gone; publishing the deploy as a new version", "function", v.Function, "version", v.Number, "image", v.Image)
	return false, nil
}

// keepVersions ends a deploy that publishes nothing: only req.Scaling
// applies.
func (e *Engine) keepVersions(ctx context.Context, req lambda.DeployRequest, fn *lambda.Function) (*lambda.Deployment, error) {
	if !req.Scaling.IsZero() {
		sc := req.Scaling.Apply(fn.Scaling)
		if err := sc.Validate(); err != nil {
			return nil, err
		}
		if err := e.Store.SetScaling(ctx, req.Name, sc); err != nil {
			return nil, err
		}
		e.setScaling(req.Name, sc)
	}
	fn, err := e.Store.FindFunction(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	e.Logger.Info("deploy changed nothing", "function", req.Name, "version", fn.ActiveVersion)
	return &lambda.Deployment{Function: fn, Changed: false}, nil
}

// sameConfig compares two resolved configs field by field, whatever fields
// Config gains; an empty environment equals a missing one, as the store
// keeps neither.
func sameConfig(a, b lambda.Config) bool {
	if !maps.Equal(a.Env, b.Env) || !slices.Equal(a.Placement, b.Placement) {
		return false
	}
	a.Env, b.Env = nil, nil
	a.Placement, b.Placement = nil, nil
	return reflect.DeepEqual(a, b)
}

// published wraps the outcome of a deploy that published a new version and
// queues the pruning of the function's old versions.
func (e *Engine) published(fn *lambda.Function, err error) (*lambda.Deployment, error) {
	if err != nil {
		return nil, err
	}
	e.queuePrune(fn.Name)
	return &lambda.Deployment{Function: fn, Changed: true}, nil
}
