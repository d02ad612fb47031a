package engine

import (
	"context"
	"fmt"

	"github.com/lambdahq/lambda"
)

// checkRequest validates everything a deploy declares before anything is
// built (name, config, scaling, destinations, schedules) and returns the
// config with its defaults.
func (e *Engine) checkRequest(ctx context.Context, req lambda.DeployRequest) (lambda.Config, error) {
	if err := lambda.ValidateName(req.Name); err != nil {
		return lambda.Config{}, err
	}
	cfg := req.Config.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	if err := req.Scaling.Apply(lambda.Scaling{}).Validate(); err != nil {
		return cfg, err
	}
	if err := e.checkDestinations(ctx, req.Name, req.Scaling); err != nil {
		return cfg, err
	}
	if len(req.Schedules) > 0 {
		if e.Schedules == nil {
			return cfg, lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server does not run schedules: deploy without them")
		}
		if err := e.Schedules.Check(req.Name, req.Schedules); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// applySchedules applies the deploy's schedules once d serves, as the
// deploy's last step: all or none, so that an error leaves the function
// live without any of them, and says so.
func (e *Engine) applySchedules(ctx context.Context, req lambda.DeployRequest, d *lambda.Deployment, err error) (*lambda.Deployment, error) {
	if err != nil || len(req.Schedules) == 0 {
		return d, err
	}
	applied, err := e.Schedules.Apply(ctx, req.Name, req.Schedules)
	if err != nil {
		version := "the active version"
		if d.Active != nil {
			version = fmt.Sprintf("version %d", d.Active.Number)
		}
		e.Logger.Error("deploy: schedules not applied", "function", req.Name, "err", err)
		code, why := lambda.ErrorCode(err), lambda.ErrorMessage(err)
		if code == lambda.EINTERNAL {
			// The user must learn that the version is live; the cause is
			// in the server's log.
			code, why = lambda.EUNAVAILABLE, "the store failed"
		}
		return nil, &liveError{deployments: []*lambda.Deployment{d}, err: lambda.Errorf(code, "%s of %q is live, but none of its %d schedules was created: %s; deploy again to apply them", version, req.Name, len(req.Schedules), why)}
	}
	d.Schedules = applied
	return d, nil
}
