package engine

import (
	"context"

	"github.com/lambdahq/lambda"
)

// unchangedCanary is unchanged for a canary deploy. Code and config that
// are those of live's canary publish nothing: the deploy only sets the
// canary's weight to req.Canary and applies req.Scaling, so a repeated
// "deploy --canary" does not publish (and warm) a copy of the canary each
// time. Those of the active version publish nothing either when live has
// no canary, as a plain deploy's; with a canary of other code in place they
// are refused: the deploy asks for the active version's code to take a
// share of live, which leaves it all to the active version (a rollback's
// doing) or to the canary, whose code the deploy did not send.
func (e *Engine) unchangedCanary(ctx context.Context, req lambda.DeployRequest, fn *lambda.Function, same *sameAs) (*lambda.Deployment, error) {
	store := e.aliasStore()
	if store == nil {
		return nil, nil // startCanary refuses it
	}
	live, err := store.FindAlias(ctx, req.Name, lambda.AliasLive)
	switch {
	case lambda.ErrorCode(err) == lambda.ENOTFOUND:
		live = &lambda.Alias{Function: req.Name, Name: lambda.AliasLive, Version: fn.ActiveVersion}
	case err != nil:
		return nil, err
	}
	if live.AdditionalVersion != 0 {
		canary, err := e.Store.FindVersion(ctx, req.Name, live.AdditionalVersion)
		if err != nil {
			return nil, err
		}
		ok, err := same.version(ctx, canary)
		if err == nil && ok && !req.Scaling.IsZero() {
			err = req.Scaling.Apply(fn.Scaling).Validate() // before the weight moves
		}
		if err == nil && ok {
			err = e.reweighCanary(ctx, store, live, req.Canary)
		}
		if err != nil {
			return nil, canceled(ctx, err)
		}
		if ok {
			return e.keepVersions(ctx, req, fn)
		}
	}
	if ok, err := same.version(ctx, fn.Active); !ok || err != nil {
		return nil, err
	}
	if live.AdditionalVersion != 0 {
		return nil, lambda.Errorf(lambda.ECONFLICT, "the code and settings are those of version %d, %s's active version, not of its canary (version %d): nothing to publish as a canary. \"lambda rollback %s\" ends the canary, \"lambda promote %s\" makes version %d active; --force publishes them as a new canary anyway",
			fn.ActiveVersion, req.Name, live.AdditionalVersion, req.Name, req.Name, live.AdditionalVersion)
	}
	return e.keepVersions(ctx, req, fn)
}

// reweighCanary gives live's canary weight w of its traffic, if it has
// another.
func (e *Engine) reweighCanary(ctx context.Context, store lambda.AliasStore, live *lambda.Alias, w float64) error {
	if live.Weight == w {
		return nil
	}
	to := *live
	to.Weight = w
	if err := to.Validate(); err != nil {
		return err
	}
	if err := e.setAlias(ctx, store, &to); err != nil {
		return err
	}
	e.Logger.Info("canary reweighed", "function", live.Function, "canary", live.AdditionalVersion, "from", live.Weight, "to", w)
	return nil
}
