package engine_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// created lists the containers of name the driver holds created and not
// started.
func (e *env) created(t *testing.T, name string) []*lambda.Instance {
	t.Helper()
	all, err := e.driver.ListInstances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []*lambda.Instance
	for _, in := range all {
		if in.Function == name && !in.Running {
			out = append(out, in)
		}
	}
	return out
}

// scaledToZeroWithSpare deploys greet, waits for its pre-created spare
// and scales it to zero: the next call is a cold start on the spare.
func scaledToZeroWithSpare(t *testing.T) (*env, string) {
	t.Helper()
	e, clock := newClockEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.scale(t, "greet", lambda.ScalingPatch{IdleTimeout: ptr(lambda.Duration(time.Minute))})
	spare := e.spare(t, clock, "greet", 1)
	clock.Advance(2 * time.Minute)
	e.eng.ReapNow()
	eventually(t, "scaled to zero", func() bool { return len(e.running(t, "greet")) == 0 })
	return e, spare
}

// spare waits for name's one pre-created container of version and
// returns its ID.
func (e *env) spare(t *testing.T, clock *fakeClock, name string, version int) string {
	t.Helper()
	var id string
	eventually(t, "a pre-created container of v"+strconv.Itoa(version), func() bool {
		clock.Advance(e.eng.ReapInterval)
		c := e.created(t, name)
		if len(c) != 1 || c[0].Version != version {
			return false
		}
		id = c[0].ID
		return true
	})
	return id
}

// TestPrecreatedColdStart: a function that scales to zero keeps one
// container created, not started and not listed as an instance; a cold
// start starts that one with the spec a regular start has, and the next
// is created; a deploy removes the old version's, a delete leaves nothing.
func TestPrecreatedColdStart(t *testing.T) {
	e, clock := newClockEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"A": "b"}})
	e.scale(t, "greet", lambda.ScalingPatch{IdleTimeout: ptr(lambda.Duration(time.Minute))})
	spare := e.spare(t, clock, "greet", 1)

	all, err := e.eng.Instances(context.Background(), "greet")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].ID == spare || !all[0].Running {
		t.Errorf("instances %+v: want the deploy's one, running, and not the pre-created %s", all, spare)
	}
	if c := e.created(t, "greet"); c[0].Addr != "" {
		t.Errorf("the pre-created container has an address: %+v", c[0])
	}

	clock.Advance(2 * time.Minute)
	e.eng.ReapNow()
	eventually(t, "scaled to zero", func() bool { return len(e.running(t, "greet")) == 0 })

	lease, status := e.call(t, "greet")
	if status != 200 || !lease.Cold || lease.Instance != spare {
		t.Fatalf("cold start: status %d cold %v on %s, want 200, cold, on the pre-created %s", status, lease.Cold, lease.Instance, spare)
	}
	specs := e.driver.Specs()
	if first, last := specs[0], specs[len(specs)-1]; !reflect.DeepEqual(first, last) {
		t.Errorf("the pre-created container's spec\n%+v\ndiffers from the deploy's start\n%+v", last, first)
	}
	next := e.spare(t, clock, "greet", 1)
	if next == spare {
		t.Error("no new container pre-created after the cold start")
	}

	e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"A": "c"}})
	e.spare(t, clock, "greet", 2) // v1's removed, v2's created

	if err := e.eng.Delete(context.Background(), "greet"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "nothing left after the delete", func() bool {
		list, _ := e.driver.ListInstances(context.Background())
		return len(list) == 0
	})
}

// TestPrecreateOnlyWhenItCanGoCold: a function whose minimum is its
// maximum never cold-starts, and keeps no pre-created container.
func TestPrecreateOnlyWhenItCanGoCold(t *testing.T) {
	e, clock := newClockEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.scale(t, "greet", lambda.ScalingPatch{MinInstances: ptr(1), MaxInstances: ptr(1)})
	for range 5 {
		clock.Advance(e.eng.ReapInterval)
		e.eng.ReapNow()
	}
	time.Sleep(50 * time.Millisecond) // a create would be in the background
	if c := e.created(t, "greet"); len(c) != 0 {
		t.Errorf("pre-created containers %+v for a function that never goes cold", c)
	}
}

// TestPrecreatedRemovedAtCloseAndReconcile: Close removes the spares; a
// created container a killed server left is removed by the next one.
func TestPrecreatedRemovedAtCloseAndReconcile(t *testing.T) {
	driver := drivertest.NewFake()
	path := filepath.Join(t.TempDir(), "lambda.db")
	clock := newFakeClock()
	e := newEnvWithSetup(t, driver, path, func(e *env) { e.eng.Clock = clock })
	clock.BlockUntil(t, 1)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.spare(t, clock, "greet", 1)
	if err := e.eng.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := e.created(t, "greet"); len(c) != 0 {
		t.Errorf("pre-created containers left after Close: %+v", *c[0])
	}

	left, err := driver.CreateInstance(context.Background(), lambda.InstanceSpec{Function: "greet", Version: 1, Image: "func-greet:v1", Port: 8080})
	if err != nil {
		t.Fatal(err)
	}
	e2 := newEnvWith(t, driver, path)
	eventually(t, "the leftover created container removed", func() bool {
		for _, in := range e2.created(t, "greet") {
			if in.ID == left {
				return false
			}
		}
		return true
	})
}

// TestDeleteWaitsForASpareBeingCreated: a spare whose create is in flight
// when its function is deleted is no container left once Delete returns.
func TestDeleteWaitsForASpareBeingCreated(t *testing.T) {
	ctx := context.Background()
	e, spare := scaledToZeroWithSpare(t)

	release := e.driver.HoldCreates()
	defer release()
	if lease, status := e.call(t, "greet"); status != 200 || lease.Instance != spare {
		t.Fatalf("cold start: %d on %s, want 200 on the spare %s", status, lease.Instance, spare)
	}
	eventually(t, "the next spare's create in flight", func() bool { return e.driver.Creating() == 1 })
	done := make(chan error, 1)
	go func() { done <- e.eng.Delete(ctx, "greet") }()
	select {
	case err := <-done:
		t.Fatalf("Delete returned (%v) while its spare was being created", err)
	case <-time.After(200 * time.Millisecond):
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	list, err := e.driver.ListInstances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("containers left once Delete returned: %+v", *list[0])
	}
}
