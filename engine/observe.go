package engine

import (
	"context"

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

// deployResult names a deploy's outcome as lambda.Deploy*.
func deployResult(d *lambda.Deployment, err error) string {
	switch {
	case err != nil:
		return lambda.DeployFailed
	case d != nil && !d.Changed:
		return lambda.DeployUnchanged
	default:
		return lambda.DeployPublished
	}
}
