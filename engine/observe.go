package engine

import (
	"context"
	"errors"
	"slices"

	"github.com/lambdahq/lambda"
)

// Deploy implements lambda.FunctionService and reports each deploy's
// outcome to the DeployObserver. A deploy whose name is not valid is not
// reported: it names no function that could exist.
func (e *Engine) Deploy(ctx context.Context, req lambda.DeployRequest) (*lambda.Deployment, error) {
	d, err := e.deploy(ctx, req)
	if e.DeployObserver != nil && lambda.ValidateName(req.Name) == nil {
		e.DeployObserver.ObserveDeploy(req.Name, deployResult(d, err))
	}
	return d, err
}

// liveError is a deploy's failure after its versions went live (its
// schedules could not be created): the deploy is reported as what it
// published, not as failed, since the new versions serve.
type liveError struct {
	deployments []*lambda.Deployment
	err         error
}

func (l *liveError) Error() string { return l.err.Error() }
func (l *liveError) Unwrap() error { return l.err }

// deployResult names a deploy's outcome as lambda.Deploy*.
func deployResult(d *lambda.Deployment, err error) string {
	var live *liveError
	if errors.As(err, &live) && len(live.deployments) == 1 {
		d, err = live.deployments[0], nil
	}
	switch {
	case err != nil:
		return lambda.DeployFailed
	case d != nil && !d.Changed:
		return lambda.DeployUnchanged
	default:
		return lambda.DeployPublished
	}
}

// observeProject reports the outcome of a project deploy of fns for each
// function, as a deploy of each alone would be: published or unchanged
// when the project switched (its schedules failing after the switch
// included), failed for every one when it did not.
func (e *Engine) observeProject(fns []*projectFn, out *lambda.ProjectDeployment, err error) {
	if e.DeployObserver == nil {
		return
	}
	var live *liveError
	switch {
	case err == nil && out != nil:
		for _, d := range out.Functions {
			e.DeployObserver.ObserveDeploy(d.Name, deployResult(d, nil))
		}
	case errors.As(err, &live):
		for _, d := range live.deployments {
			e.DeployObserver.ObserveDeploy(d.Name, deployResult(d, nil))
		}
	default:
		for _, f := range fns {
			e.DeployObserver.ObserveDeploy(f.req.Name, lambda.DeployFailed)
		}
	}
}

// observeProjectRefused reports a project deploy refused before anything
// was built (a function's settings, a name taken) as failed for each
// selected function whose name is valid, as a refused deploy of one is.
func (e *Engine) observeProjectRefused(req lambda.ProjectDeployRequest, pm *lambda.ProjectManifest) {
	if e.DeployObserver == nil {
		return
	}
	seen := map[string]bool{}
	for _, f := range pm.Functions {
		if len(req.Only) > 0 && !slices.Contains(req.Only, f.Name) {
			continue
		}
		name := lambda.ProjectFunctionName(pm.Project, f.Name, req.Prefix)
		if seen[name] || lambda.ValidateName(name) != nil {
			continue
		}
		seen[name] = true
		e.DeployObserver.ObserveDeploy(name, lambda.DeployFailed)
	}
}
