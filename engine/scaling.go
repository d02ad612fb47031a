package engine

import (
	"context"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// UpdateScaling implements lambda.ScalingService: the change applies to
// the running pool at once, without a redeploy.
func (e *Engine) UpdateScaling(ctx context.Context, name string, patch lambda.ScalingPatch) (*lambda.Function, error) {
	unlock := e.lockDeploys(name)
	defer unlock()
	fn, err := e.Store.FindFunction(ctx, name)
	if err != nil {
		return nil, err
	}
	sc := patch.Apply(fn.Scaling)
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if patch.OnSuccess != nil || patch.OnFailure != nil {
		destinationsMu.Lock()
		defer destinationsMu.Unlock()
	}
	if err := e.checkDestinations(ctx, name, patch); err != nil {
		return nil, err
	}
	if err := e.Store.SetScaling(ctx, name, sc); err != nil {
		return nil, err
	}
	e.setScaling(name, sc)
	e.Logger.Info("scaling changed", "function", name, "scaling", sc)
	return e.Store.FindFunction(ctx, name)
}

// warmUp starts max(1, sc.MinInstances) instances of v in parallel, for a
// switch, each bounded by sc.StartTimeout. Either all start or none is left
// running.
func (e *Engine) warmUp(ctx context.Context, v *lambda.Version, sc lambda.Scaling) ([]*instance, error) {
	n := max(1, sc.MinInstances)
	out := make([]*instance, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		if !e.reserveSlot() {
			errs[i] = lambda.Errorf(lambda.ETHROTTLED, "the backend runs its capacity of %d instances (lambda server --max-instances, per host)", e.capacity.Load())
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = e.startInstance(ctx, v, time.Duration(sc.StartTimeout))
			if errs[i] != nil {
				e.releaseSlot()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			for _, in := range out {
				if in != nil {
					e.stopInstance(in)
				}
			}
			return nil, err
		}
	}
	return out, nil
}
