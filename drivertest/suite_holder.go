package drivertest

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// networkHolders is what a driver that creates pre-created containers in
// network holders (docker/holder.go, fake_holder.go) tells about them.
type networkHolders interface {
	NetworkHolder(ctx context.Context, id string) (holder, addr string, err error)
	NetworkHolders(ctx context.Context) ([]string, error)
}

// testPrecreateHolder: a pre-created container is created in a holder of
// its own, which is not listed as an instance; started, the instance
// serves on the holder's address; removing the instance removes the
// holder, and nothing of either is left.
func (s *suite) testPrecreateHolder(t *testing.T) {
	d, ok := s.d.(lambda.PrecreateDriver)
	nh, ok2 := s.d.(networkHolders)
	if !ok || !ok2 {
		t.Skip("the driver has no network holders")
	}
	ctx := testContext(t)
	if _, err := nh.NetworkHolders(ctx); lambda.ErrorCode(err) == lambda.ENOTIMPLEMENTED {
		t.Skipf("the engine has no network holders: %v", err)
	}
	spec := lambda.InstanceSpec{Function: "held", Version: 3, Image: s.imageID, Env: map[string]string{"GREETING": "held"}, Port: 8080, MemoryBytes: 64 << 20}
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
	holder, addr, err := nh.NetworkHolder(ctx, id)
	if err != nil || holder == "" || addr == "" {
		t.Fatalf("NetworkHolder of the created container = %q, %q, %v; want a holder with an address", holder, addr, err)
	}
	if !slices.Contains(s.holders(t, nh), holder) {
		t.Fatalf("NetworkHolders does not list %s", holder)
	}
	if s.findInstance(t, holder) != nil {
		t.Error("ListInstances lists the holder of a created container")
	}
	if listed := s.findInstance(t, id); listed == nil || listed.Running || listed.Addr != "" {
		t.Fatalf("ListInstances shows the created container as %+v, want not running, no address", listed)
	}

	inst, err := d.StartCreated(ctx, id, spec)
	if err != nil {
		t.Fatalf("StartCreated: %v", err)
	}
	// The holder's address is an IP (Docker) or a whole address (Fake).
	if host, _, _ := net.SplitHostPort(inst.Addr); host != hostOf(addr) || (addr != hostOf(addr) && inst.Addr != addr) {
		t.Errorf("the started instance's address is %s, want the holder's (%s)", inst.Addr, addr)
	}
	if got := s.get(t, inst.Addr, "/env/GREETING"); got != "held" {
		t.Errorf("GREETING in the started container = %q, want the spec's value", got)
	}
	if listed := s.findInstance(t, id); listed == nil || !listed.Running || listed.Addr != inst.Addr {
		t.Errorf("ListInstances shows the started container as %+v, want running at %s", listed, inst.Addr)
	}
	if s.findInstance(t, holder) != nil {
		t.Error("ListInstances lists the holder of a started instance")
	}

	if err := s.d.StopInstance(ctx, id, 0); err != nil {
		t.Fatalf("StopInstance: %v", err)
	}
	if slices.Contains(s.holders(t, nh), holder) {
		t.Error("the holder is left after StopInstance of its instance")
	}
	if s.findInstance(t, id) != nil || s.findInstance(t, holder) != nil {
		t.Error("the instance or its holder is still listed after StopInstance")
	}
	if _, _, err := nh.NetworkHolder(ctx, id); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("NetworkHolder of a removed container: %v, want ENOTFOUND", err)
	}
}

func (s *suite) holders(t *testing.T, nh networkHolders) []string {
	t.Helper()
	ids, err := nh.NetworkHolders(testContext(t))
	if err != nil {
		t.Fatalf("NetworkHolders: %v", err)
	}
	return ids
}

// hostOf is addr's host, or addr when it has no port.
func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
