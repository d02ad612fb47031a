package engine

import (
	"context"

	"github.com/lambdahq/lambda"
)

// checkDestinations refuses destinations that patch sets on function name
// and that could never be delivered to: a function that does not exist,
// or name itself (each failure would queue another failure of the same
// function, without end). Only the destinations the patch names are
// checked: a destination deleted since it was set must not block an
// unrelated setting.
func (e *Engine) checkDestinations(ctx context.Context, name string, patch lambda.ScalingPatch) error {
	set := lambda.ScalingPatch{OnSuccess: patch.OnSuccess, OnFailure: patch.OnFailure}.Apply(lambda.Scaling{})
	for _, d := range set.Destinations() {
		if d.Function == name {
			return lambda.Errorf(lambda.EINVALID, "%s function %q is the function itself: a function cannot be its own destination (it would loop); name another function, or \"\" for none", d.Setting, d.Function)
		}
		if err := lambda.ValidateName(d.Function); err != nil {
			return lambda.Errorf(lambda.EINVALID, "%s: %s", d.Setting, lambda.ErrorMessage(err))
		}
		if _, err := e.Store.FindFunction(ctx, d.Function); lambda.ErrorCode(err) == lambda.ENOTFOUND {
			return lambda.Errorf(lambda.ENOTFOUND, "%s function %q does not exist: deploy it first", d.Setting, d.Function)
		} else if err != nil {
			return err
		}
	}
	return nil
}
