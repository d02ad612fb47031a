package engine_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// slowStop stops instances a moment late, as Docker does under load.
type slowStop struct{ *preinitDriver }

func (d slowStop) StopInstance(ctx context.Context, id string, grace time.Duration) error {
	time.Sleep(300 * time.Millisecond)
	return d.preinitDriver.StopInstance(ctx, id, grace)
}

// TestCloseWaitsForAYieldedGenericInstancesStop: a generic instance
// stopped to give its slot to a function is stopped before Close returns.
// Its stop ran in a goroutine nothing waited for, and lambda bench, which
// exits right after Close, left that container running.
func TestCloseWaitsForAYieldedGenericInstancesStop(t *testing.T) {
	e, d, _ := newPreinitEnv(t, 1, func(e *env) {
		e.driver.SetCapacity(2)
		e.eng.Driver = slowStop{e.eng.Driver.(*preinitDriver)}
	})
	pythonRuntime(t, e, "lambda-runtime-python:t1", "base1")
	e.mustDeploy(t, "greet", lambda.Config{})
	eventually(t, "a generic instance and the code", func() bool { return e.preinitReady(t, "greet") == 1 })
	_, ids := d.started()
	e.mustDeploy(t, "other", lambda.Config{}) // at capacity: the generic instance yields its slot
	if err := e.eng.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	list, err := d.ListInstances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(list, func(in *lambda.Instance) bool { return in.ID == ids[0] && in.Running }) {
		t.Error("the generic instance that yielded its slot still runs after Close returned")
	}
}
