package docker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
	"github.com/lambdahq/lambda/internal/swarmtest"
	"github.com/lambdahq/lambda/registry"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := swarmtest.Release(); err != nil {
		fmt.Fprintln(os.Stderr, "swarmtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// newTestSwarm returns the image builder (the manager's engine) and the
// Swarm driver of the shared test cluster, in a namespace of the test's
// own.
func newTestSwarm(t *testing.T) (*swarmtest.Cluster, *Driver, *Swarm) {
	t.Helper()
	c := swarmtest.Shared(t)
	d, err := NewHost(c.Manager)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	d.Namespace = "swarmtest-" + fmt.Sprint(time.Now().UnixNano()%1e6)
	s := NewSwarm(d)
	s.Network = c.Network
	s.StopGrace = time.Second
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := s.CheckManager(ctx); err != nil {
		t.Fatalf("CheckManager on the test cluster's manager: %v", err)
	}
	return c, d, s
}

func TestSwarmSuite(t *testing.T) {
	drivertest.RunInstances(t, func(t *testing.T) drivertest.InstanceTarget {
		c, d, s := newTestSwarm(t)
		d.MaxInstances = 7
		unpush := &registry.Client{HTTP: c.HTTPClient(30 * time.Second)}
		return drivertest.InstanceTarget{Driver: s, Images: d, Registry: c.Registry, Dial: c.DialContext, Unpush: unpush, Capacity: func(t *testing.T) int {
			return 7 * readyNodes(t, s)
		}}
	})
}

// readyNodes counts the nodes that take instances now.
func readyNodes(t *testing.T, s *Swarm) int {
	nodes, err := s.Nodes(t.Context())
	if err != nil {
		t.Fatalf("Nodes: %v", err)
	}
	n := 0
	for _, node := range nodes {
		if node.Ready() {
			n++
		}
	}
	return n
}

// TestSwarmRefusesWorker: --backend swarm against a worker's engine is a
// clear error naming the manager, not a failure at the first deploy.
func TestSwarmRefusesWorker(t *testing.T) {
	c := swarmtest.Shared(t)
	d, err := NewHost(c.Hosts[1])
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	err = NewSwarm(d).CheckManager(t.Context())
	if lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), "not a manager") {
		t.Fatalf("CheckManager on a worker = %v, want EINVALID saying it is not a manager", err)
	}
}

// TestSwarmUnsatisfiablePlacement: a constraint no node meets fails the
// start with a clear error within seconds, and leaves no service behind.
func TestSwarmUnsatisfiablePlacement(t *testing.T) {
	c, d, s := newTestSwarm(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	img := pushTestImage(t, c, d)
	start := time.Now()
	inst, err := s.StartInstance(ctx, lambda.InstanceSpec{Function: "placed", Version: 1, Image: img, Port: 8080, Placement: []string{"node.labels.gpu==true"}})
	if inst != nil {
		_ = s.StopInstance(context.Background(), inst.ID, 0)
	}
	if lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), "node.labels.gpu==true") {
		t.Fatalf("StartInstance with an unsatisfiable placement = %v, want EINVALID naming the constraint", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("the refusal took %v", took)
	}
	list, err := s.ListInstances(ctx)
	if err != nil || len(list) != 0 {
		t.Errorf("after the refused start ListInstances = %v, %v; want nothing left", list, err)
	}
}

func pushTestImage(t *testing.T, c *swarmtest.Cluster, d *Driver) string {
	t.Helper()
	ctx := t.Context()
	tag := fmt.Sprintf("%s/swarmtest-%d:v1", c.Registry, time.Now().UnixNano()%1e6)
	id, err := d.BuildImage(ctx, lambda.BuildRequest{Context: bytes.NewReader(drivertest.TestImage(t)), Tags: []string{tag}})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := d.PushImage(ctx, id, tag, nil)
	if err != nil {
		t.Fatalf("PushImage: %v", err)
	}
	t.Cleanup(func() {
		_ = d.RemoveImage(context.Background(), tag)
		_ = d.RemoveImage(context.Background(), ref)
		unpush := &registry.Client{HTTP: c.HTTPClient(30 * time.Second)}
		if err := unpush.DeleteImage(context.Background(), ref); err != nil {
			t.Errorf("delete the test image from the registry: %v", err)
		}
	})
	return ref
}
