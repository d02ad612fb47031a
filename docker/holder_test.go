package docker

import (
	"context"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/client"
)

func holderTestDriver(t *testing.T) (*Driver, lambda.InstanceSpec) {
	t.Helper()
	d := newTestDriver(t)
	d.Namespace = "holdertest-" + randSuffix()
	spec := lambda.InstanceSpec{Function: "held", Version: 2, Image: testImage(t, d), Port: 8080}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		left, _ := d.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: d.managedFilters()})
		for _, c := range left.Items {
			t.Errorf("container %s (%v) left behind", shortID(c.ID), c.Labels)
			d.removeQuietly(ctx, c.ID)
		}
	})
	return d, spec
}

// A holder whose spare is gone (a server killed between the two) is
// listed as a stopped container of its function, so that a reconcile
// removes it; it is hardened like an instance.
func TestLeftoverHolderIsListedAndRemoved(t *testing.T) {
	d, spec := holderTestDriver(t)
	ctx := t.Context()
	id, err := d.CreateInstance(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	holder, _, err := d.NetworkHolder(ctx, id)
	if err != nil || holder == "" {
		t.Fatalf("NetworkHolder = %q, %v", holder, err)
	}
	res, err := d.cli.ContainerInspect(ctx, holder, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hc, cfg := res.Container.HostConfig, res.Container.Config
	if !hc.ReadonlyRootfs || len(hc.CapDrop) != 1 || hc.CapDrop[0] != "ALL" || len(hc.SecurityOpt) != 1 || cfg.User != containerUser || hc.Memory != holderMemory || hc.PidsLimit == nil || *hc.PidsLimit != holderPids {
		t.Errorf("the holder is not hardened: read-only %v, caps dropped %v, security %v, user %q, memory %d, pids %v", hc.ReadonlyRootfs, hc.CapDrop, hc.SecurityOpt, cfg.User, hc.Memory, hc.PidsLimit)
	}
	if cfg.Labels[lambda.LabelManaged] != "true" || cfg.Labels[lambda.LabelServer] != d.Namespace || cfg.Labels[labelHolder] != "true" {
		t.Errorf("the holder's labels are %v", cfg.Labels)
	}
	// The spare goes without its holder.
	if _, err := d.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	restarted := &Driver{cli: d.cli, Namespace: d.Namespace} // no memory of what it created
	list, err := restarted.ListInstances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != holder || list[0].Running || list[0].Addr != "" || list[0].Function != "held" || list[0].Version != 2 {
		t.Fatalf("ListInstances = %v, want the leftover holder alone, stopped, of held v2", describeList(list))
	}
	if err := restarted.StopInstance(ctx, holder, time.Minute); err != nil { // grace unused: it is killed
		t.Fatal(err)
	}
	if list, _ := restarted.ListInstances(ctx); len(list) != 0 {
		t.Errorf("ListInstances after the holder's removal = %v", describeList(list))
	}
}

// A holder that dies takes its instance's network: the instance is killed
// and its exit reported.
func TestHolderDeathKillsItsInstance(t *testing.T) {
	d, spec := holderTestDriver(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	exits, err := d.WatchExits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, err := d.CreateInstance(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := d.StartCreated(ctx, id, spec)
	if err != nil {
		t.Fatal(err)
	}
	holder, _, _ := d.NetworkHolder(ctx, id)
	if _, err := d.cli.ContainerKill(ctx, holder, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		t.Fatal(err)
	}
	for exit := range exits {
		if exit.ID == inst.ID {
			break
		}
	}
	if ctx.Err() != nil {
		t.Fatal("no exit of the instance was reported after its holder died")
	}
	res, err := d.cli.ContainerInspect(ctx, inst.ID, client.ContainerInspectOptions{})
	if err != nil || res.Container.State.Running {
		t.Errorf("the instance still runs after its holder died (%v)", err)
	}
	if err := d.StopInstance(ctx, inst.ID, 0); err != nil {
		t.Fatal(err)
	}
}

func describeList(list []*lambda.Instance) []lambda.Instance {
	out := make([]lambda.Instance, len(list))
	for i, in := range list {
		out[i] = *in
	}
	return out
}
