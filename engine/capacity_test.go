package engine_test

import (
	"path/filepath"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// TestCapacityFollowsTheDriver: the engine starts no instance past the
// driver's last answer to Capacity, follows it when it changes (a
// cluster's node comes or goes), and keeps it while the driver cannot
// answer.
func TestCapacityFollowsTheDriver(t *testing.T) {
	driver := drivertest.NewFake()
	driver.SetCapacity(2)
	e := newEnvWith(t, driver, filepath.Join(t.TempDir(), "lambda.db"))
	wantCapacity(t, e, 2, 0)
	e.mustDeploy(t, "a", lambda.Config{})
	e.mustDeploy(t, "b", lambda.Config{})
	if _, err := e.deploy(t, "c", lambda.Config{}); lambda.ErrorCode(err) != lambda.ETHROTTLED {
		t.Fatalf("a third instance with capacity 2: %v, want ETHROTTLED", err)
	}

	e.driver.SetCapacity(3) // a node joined
	e.eng.RefreshCapacity()
	wantCapacity(t, e, 3, 2)
	e.mustDeploy(t, "c", lambda.Config{})

	e.driver.SetCapacity(1) // two nodes' share lost
	e.eng.RefreshCapacity()
	wantCapacity(t, e, 1, 3)
	e.scale(t, "a", lambda.ScalingPatch{MinInstances: ptr(2)})
	e.eng.ReapNow()
	if n := len(e.running(t, "a")); n != 1 {
		t.Errorf("a runs %d instances over capacity, want its 1", n)
	}

	e.driver.SetDown(true)
	e.driver.SetCapacity(50)
	e.eng.RefreshCapacity()
	e.driver.SetDown(false)
	wantCapacity(t, e, 1, 3)
}

func wantCapacity(t *testing.T, e *env, capacity, used int) {
	t.Helper()
	if c, u := e.eng.Capacity(); c != capacity || u != used {
		t.Errorf("Capacity() = %d, %d in use; want %d, %d", c, u, capacity, used)
	}
}
