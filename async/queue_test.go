package async_test

import (
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/async/asynctest"
)

// TestQueueMemStore runs the shared suite over the in-memory stores: the
// queue's behaviour, and the fake store's faithfulness to the contract.
func TestQueueMemStore(t *testing.T) {
	asynctest.Run(t, func(t *testing.T) (lambda.JobStore, lambda.FunctionStore) {
		fns := asynctest.NewMemFunctions()
		return asynctest.NewMemStore(fns), fns
	})
}
