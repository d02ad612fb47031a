package asynctest

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/lambdahq/lambda"
)

// countingLookup is a lambda.FunctionLookup over the store that counts
// its calls.
type countingLookup struct {
	store lambda.FunctionStore
	calls atomic.Int64
}

func (c *countingLookup) LookupFunction(ctx context.Context, name string) (lambda.ActiveFunction, error) {
	c.calls.Add(1)
	return lambda.LookupStore{Store: c.store}.LookupFunction(ctx, name)
}

// countingFunctions counts the reads of a function store.
type countingFunctions struct {
	lambda.FunctionStore
	finds atomic.Int64
}

func (c *countingFunctions) FindFunction(ctx context.Context, name string) (*lambda.Function, error) {
	c.finds.Add(1)
	return c.FunctionStore.FindFunction(ctx, name)
}

// testFunctionLookup: with a Lookup, submissions and dispatch rounds ask
// it and never read the function store themselves; its scaling is the one
// jobs run under, and an unknown function is refused with nothing queued.
func testFunctionLookup(t *testing.T, e *env) {
	fn := "looked-up"
	e.deploy(fn, lambda.Scaling{MaxRetries: intp(0)})
	store := &countingFunctions{FunctionStore: e.fns}
	lookup := &countingLookup{store: e.fns}
	e.fns = store
	e.q = e.newQueue(e.inv)
	e.q.Lookup = lookup
	e.open(e.q)

	e.inv.On(fn, Fail("no"))
	j := e.submit(fn, `{"n":1}`)
	if got := e.waitStatus(j.ID, lambda.StatusDead); got.Attempts != 1 {
		t.Errorf("attempts %d under the lookup's max_retries 0, want 1: %s", got.Attempts, describe(got))
	}
	if _, _, err := e.q.Submit(e.ctx, &lambda.InvokeRequest{Function: "nosuch", Payload: []byte(`{}`)}); code(err) != lambda.ENOTFOUND {
		t.Errorf("Submit to an unknown function: %v, want %s", err, lambda.ENOTFOUND)
	}
	nothingQueued(t, e, "nosuch", "a refused submission")
	if n := store.finds.Load(); n != 0 {
		t.Errorf("the queue read the function store %d times, want 0: it has a Lookup", n)
	}
	if n := lookup.calls.Load(); n < 3 {
		t.Errorf("the Lookup was asked %d times, want at least 3 (two submissions, a round)", n)
	}
}
