package engine

import (
	"context"

	"github.com/lambdahq/lambda"
)

// DeleteVersion deletes one version that nothing routes to: its record,
// then its image (lambda.VersionDeleter). It takes the function's deploy
// lock, so that no deploy or alias change routes to the version while it
// goes.
func (e *Engine) DeleteVersion(ctx context.Context, name string, number int) error {
	d, ok := e.Store.(lambda.VersionDeleter)
	if !ok {
		return lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server's store cannot delete a single version")
	}
	unlock := e.lockDeploys(name)
	defer unlock()
	v, err := e.Store.FindVersion(ctx, name, number)
	if err != nil {
		return err
	}
	if err := d.DeleteVersion(ctx, name, number); err != nil {
		return err
	}
	if v.PrunedAt == nil {
		e.removeImage(v)
	}
	return nil
}
