package prometheus

import (
	"context"

	"github.com/lambdahq/lambda"
)

// AsyncService counts the asynchronous invocations a function's full queue
// refused (lambda_throttles_total, reason async_queue_full): they are
// throttles the caller sees (429) though nothing was invoked.
type AsyncService struct {
	lambda.AsyncService
	Metrics *Metrics
}

// Submit implements lambda.AsyncService.
func (a AsyncService) Submit(ctx context.Context, req *lambda.InvokeRequest) (*lambda.Job, bool, error) {
	job, created, err := a.AsyncService.Submit(ctx, req)
	if lambda.ErrorCode(err) == lambda.ETHROTTLED {
		// The store checks that the function exists before it counts its
		// queue: the name is one of an existing function.
		reason := lambda.ThrottleReasonOf(err)
		if reason == "" {
			reason = lambda.ThrottleAsyncQueueFull
		}
		a.Metrics.throttled(a.Metrics.series(req.Function), reason)
	}
	return job, created, err
}
