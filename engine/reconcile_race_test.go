package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// listAfterCreate is the fake engine whose first listing waits until a
// container has been created, the interleaving in which the reconcile at
// start met a deploy's container before the deploy had marked it its own.
type listAfterCreate struct {
	*drivertest.Fake
	created chan struct{}
	listed  chan struct{}
}

func (d *listAfterCreate) StartInstance(ctx context.Context, spec lambda.InstanceSpec) (*lambda.Instance, error) {
	in, err := d.Fake.StartInstance(ctx, spec)
	select {
	case d.created <- struct{}{}:
	default:
	}
	// Give the listing its chance to run between creation and ownership;
	// with the gate it cannot, so this wait ends at its bound.
	select {
	case <-d.listed:
	case <-time.After(time.Second):
	}
	return in, err
}

func (d *listAfterCreate) ListInstances(ctx context.Context) ([]*lambda.Instance, error) {
	select {
	case <-d.created:
	case <-time.After(time.Second):
	}
	all, err := d.Fake.ListInstances(ctx)
	select {
	case d.listed <- struct{}{}:
	default:
	}
	return all, err
}

// TestReconcileSparesStartingInstances: a deploy that starts its instance
// while the reconcile at start lists containers keeps that instance.
func TestReconcileSparesStartingInstances(t *testing.T) {
	d := &listAfterCreate{Fake: drivertest.NewFake(), created: make(chan struct{}, 1), listed: make(chan struct{}, 1)}
	e := newEnvWithSetup(t, d.Fake, t.TempDir()+"/lambda.db", func(e *env) { e.eng.Driver = d })
	if err := deployScaling(e, context.Background(), "greet", lambda.ScalingPatch{}); err != nil {
		t.Fatalf("deploy during reconcile: %v", err)
	}
	if n := len(e.running(t, "greet")); n != 1 {
		t.Errorf("%d instances running after the deploy, want 1", n)
	}
}
