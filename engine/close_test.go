package engine_test

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// gatedDriver holds instance starts, once armed, until the gate opens,
// whatever their context says: a container engine that is slow to answer.
// It counts the calls that reach it after closedAt is set.
type gatedDriver struct {
	*drivertest.Fake
	armed   atomic.Bool
	gate    chan struct{}
	entered chan struct{} // a start reached the gate
	closed  atomic.Bool   // the engine's Close returned
	late    atomic.Int64  // driver calls made after that
}

func (d *gatedDriver) StartInstance(ctx context.Context, spec lambda.InstanceSpec) (*lambda.Instance, error) {
	if d.armed.Load() {
		d.entered <- struct{}{}
		<-d.gate
		d.count()
		return d.Fake.StartInstance(context.WithoutCancel(ctx), spec)
	}
	d.count()
	return d.Fake.StartInstance(ctx, spec)
}

func (d *gatedDriver) StopInstance(ctx context.Context, id string, grace time.Duration) error {
	d.count()
	return d.Fake.StopInstance(ctx, id, grace)
}

func (d *gatedDriver) InstanceLogs(ctx context.Context, id string, tail int) (string, error) {
	d.count()
	return d.Fake.InstanceLogs(ctx, id, tail)
}

func (d *gatedDriver) count() {
	if d.closed.Load() {
		d.late.Add(1)
	}
}

// startInFlight deploys a one-slot function, holds its instance and
// queues a second request, whose instance start waits at the gate.
func startInFlight(t *testing.T) (*env, *gatedDriver) {
	t.Helper()
	d := &gatedDriver{Fake: drivertest.NewFake(), gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	e := newEnvWithSetup(t, d.Fake, t.TempDir()+"/lambda.db", func(e *env) { e.eng.Driver = d })
	if _, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{
		Name: "slow", Code: bytes.NewReader(nil), Progress: &progress{},
		Scaling: lambda.ScalingPatch{Concurrency: ptr(1), MaxInstances: ptr(2)},
	}); err != nil {
		t.Fatal(err)
	}
	held, err := e.eng.Acquire(context.Background(), "slow")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { held.Release(false) })
	d.armed.Store(true)
	go func() {
		if l, err := e.eng.Acquire(context.Background(), "slow"); err == nil {
			l.Release(false)
		}
	}()
	select {
	case <-d.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the queued request started no instance within 5s")
	}
	return e, d
}

// Close waits for an instance start in flight: nothing the engine started
// runs, or calls the driver, once Close has returned.
func TestCloseWaitsForInstanceStarts(t *testing.T) {
	e, d := startInFlight(t)
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := e.eng.Close(ctx)
		d.closed.Store(true)
		closed <- err
	}()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while an instance start was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(d.gate)
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return within 10s of the start finishing")
	}
	time.Sleep(100 * time.Millisecond)
	if n := d.late.Load(); n != 0 {
		t.Errorf("%d driver calls after Close returned", n)
	}
}

// A start that outlives Close's deadline does not hold Close past it, and
// when it finishes it calls nothing on the driver (its owner closes it
// next) and starts nothing: the next Open's reconcile removes its container.
func TestCloseIsBoundedByItsContext(t *testing.T) {
	e, d := startInFlight(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := e.eng.Close(ctx)
	d.closed.Store(true)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with a start in flight past its deadline: %v, want a deadline error", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Close took %s past a 100ms deadline", took)
	}
	close(d.gate)
	time.Sleep(300 * time.Millisecond)
	// The late start's own StartInstance is the one call allowed: it was
	// made before Close gave up.
	if n := d.late.Load(); n > 1 {
		t.Errorf("%d driver calls after Close returned, want only the start in flight", n)
	}
	// Closing again is harmless and immediate.
	if err := e.eng.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
