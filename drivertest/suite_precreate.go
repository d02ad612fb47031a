package drivertest

import (
	"context"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// testPrecreate: a driver that implements lambda.PrecreateDriver creates
// a container that lists as not running, with no address, and starts it
// later as StartInstance would have (the spec's environment and port); a
// created container can be removed, and a missing one is not started.
func (s *suite) testPrecreate(t *testing.T) {
	d, ok := s.d.(lambda.PrecreateDriver)
	if !ok {
		t.Skip("the driver has no pre-created instances")
	}
	ctx := testContext(t)
	spec := lambda.InstanceSpec{Function: "precreated", Version: 7, Image: s.imageID, Env: map[string]string{"GREETING": "created ahead"}, Port: 8080, MemoryBytes: 64 << 20}
	id, err := d.CreateInstance(ctx, spec)
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.d.StopInstance(ctx, id, 0); err != nil {
			t.Errorf("cleanup: StopInstance %s: %v", id, err)
		}
	})
	listed := s.findInstance(t, id)
	if listed == nil || listed.Running || listed.Addr != "" || listed.Function != "precreated" || listed.Version != 7 {
		t.Fatalf("ListInstances shows the created container as %+v, want function precreated, version 7, not running, no address", listed)
	}

	// Created ahead, started later: the instance's age counts from its
	// start (lambda describe shows it), not from the create.
	time.Sleep(time.Second)
	beforeStart := time.Now()
	inst, err := d.StartCreated(ctx, id, spec)
	if err != nil {
		t.Fatalf("StartCreated: %v", err)
	}
	if inst.CreatedAt.Before(beforeStart.Add(-500 * time.Millisecond)) {
		t.Errorf("the started instance's CreatedAt %s is its create's, %s before its start", inst.CreatedAt.Format(time.RFC3339Nano), beforeStart.Sub(inst.CreatedAt))
	}
	if inst.ID != id || inst.Addr == "" || !inst.Running || inst.Function != "precreated" || inst.Version != 7 {
		t.Fatalf("StartCreated returned %+v, want %s running with an address", inst, id)
	}
	if got := s.get(t, inst.Addr, "/env/GREETING"); got != "created ahead" {
		t.Errorf("GREETING in the started container = %q, want the spec's value", got)
	}
	if got := s.get(t, inst.Addr, "/env/PORT"); got != "8080" {
		t.Errorf("PORT in the started container = %q, want 8080", got)
	}
	if listed := s.findInstance(t, id); listed == nil || !listed.Running || listed.Addr != inst.Addr {
		t.Errorf("ListInstances shows the started container as %+v, want running at %s", listed, inst.Addr)
	}

	other, err := d.CreateInstance(ctx, spec)
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	if err := s.d.StopInstance(ctx, other, 0); err != nil {
		t.Fatalf("StopInstance of a created container: %v", err)
	}
	if s.findInstance(t, other) != nil {
		t.Error("a created container is still listed after StopInstance")
	}
	_, err = d.StartCreated(ctx, other, spec)
	wantCode(t, "StartCreated of a removed container", err, lambda.ENOTFOUND)
	_, err = d.CreateInstance(ctx, lambda.InstanceSpec{Function: "precreated", Version: 1, Image: s.missing, Port: 8080})
	wantCode(t, "CreateInstance of a missing image", err, lambda.ENOTFOUND)
}
