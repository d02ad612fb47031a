package drivertest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// RunNamespaces checks that two drivers of different namespaces on one
// engine, as two servers sharing a Docker, keep out of each other's way:
// a driver never lists, gets exit events for, or (through what it lists)
// removes the other's containers and images. newDriver returns a driver
// with the given namespace; both must talk to the same engine.
func RunNamespaces(t *testing.T, newDriver func(t *testing.T, namespace string) ImageEngine) {
	prefix := "drivertest-" + randHex(4)
	a, b := newDriver(t, prefix+"-a"), newDriver(t, prefix+"-b")
	ctx := testContext(t)
	if err := a.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	fn := prefix + "-ns" // the same function name on both servers
	imgA := buildFunctionImage(t, a, fn, prefix+"-a:v1")
	imgB := buildFunctionImage(t, b, fn, prefix+"-b:v1")
	if imgA.ID == imgB.ID {
		t.Fatalf("both servers' builds of %s produced image %s: the namespace label is missing", fn, imgA.ID)
	}
	if got := imgA.Labels[lambda.LabelServer]; got != prefix+"-a" {
		t.Errorf("a function image built by namespace %s-a has %s=%q", prefix, lambda.LabelServer, got)
	}
	byFunction := map[string]string{lambda.LabelFunction: fn}
	for _, c := range []struct {
		d          ImageEngine
		mine, them string
	}{{a, imgA.ID, imgB.ID}, {b, imgB.ID, imgA.ID}} {
		ids := imageIDs(t, c.d, byFunction)
		if !slices.Contains(ids, c.mine) || slices.Contains(ids, c.them) {
			t.Errorf("ListImagesByLabel lists %q, want its own image %s and not the other server's %s", ids, c.mine, c.them)
		}
	}

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	exitsA, err := a.WatchExits(wctx)
	if err != nil {
		t.Fatalf("WatchExits: %v", err)
	}
	exitsB, err := b.WatchExits(wctx)
	if err != nil {
		t.Fatalf("WatchExits: %v", err)
	}
	s := &suite{d: a}
	instA := s.start(t, imgA.ID, fn, nil)
	instB := (&suite{d: b}).start(t, imgB.ID, fn, nil)
	for _, c := range []struct {
		d          lambda.Driver
		mine, them string
	}{{a, instA.ID, instB.ID}, {b, instB.ID, instA.ID}} {
		ids := instanceIDs(t, c.d)
		if !slices.Contains(ids, c.mine) || slices.Contains(ids, c.them) {
			t.Errorf("ListInstances lists %q, want its own %s and not the other server's %s", ids, c.mine, c.them)
		}
	}

	// B's instance exits first, then A's: events come in order, so A's
	// watcher would report B's exit before its own if it saw it at all.
	get(t, instB.Addr, "/exit")
	waitExit(t, exitsB, instB.ID, nil)
	get(t, instA.Addr, "/exit")
	waitExit(t, exitsA, instA.ID, []string{instB.ID})

	// A reconciles as a restarted server would: it removes everything it
	// lists of fn. B's container and image survive.
	for _, in := range instancesOf(t, a, fn) {
		if err := a.StopInstance(ctx, in.ID, 0); err != nil {
			t.Fatalf("StopInstance: %v", err)
		}
	}
	for _, id := range imageIDs(t, a, byFunction) {
		if err := a.RemoveImage(ctx, id); err != nil {
			t.Fatalf("RemoveImage %s: %v", id, err)
		}
	}
	if ids := instanceIDs(t, b); !slices.Contains(ids, instB.ID) {
		t.Errorf("after A removed what it lists, B lists %q: its container %s is gone", ids, instB.ID)
	}
	if ok, err := b.ImageExists(ctx, imgB.ID); err != nil || !ok {
		t.Errorf("after A removed what it lists, B's image %s exists = %v, %v", imgB.ID, ok, err)
	}
	if ok, _ := a.ImageExists(ctx, imgA.ID); ok {
		t.Errorf("A's image %s survived its removal", imgA.ID)
	}
}

// buildFunctionImage builds the test image as the engine builds a
// function's version, and removes it when the test ends.
func buildFunctionImage(t *testing.T, d ImageEngine, function, tag string) *lambda.Image {
	t.Helper()
	var out bytes.Buffer
	id, err := d.BuildImage(testContext(t), lambda.BuildRequest{
		Context: bytes.NewReader(TestImage(t)),
		Tags:    []string{tag},
		Labels:  map[string]string{lambda.LabelManaged: "true", lambda.LabelFunction: function, lambda.LabelVersion: "1"},
		Output:  &out,
	})
	if err != nil {
		t.Fatalf("BuildImage %s: %v\nlog:\n%s", tag, err, out.String())
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = d.RemoveImage(ctx, tag)
		_ = d.RemoveImage(ctx, id)
	})
	img, err := d.InspectImage(testContext(t), id)
	if err != nil {
		t.Fatalf("InspectImage %s: %v", id, err)
	}
	return img
}

func imageIDs(t *testing.T, d lambda.ImageDriver, labels map[string]string) []string {
	t.Helper()
	list, err := d.ListImagesByLabel(testContext(t), labels)
	if err != nil {
		t.Fatalf("ListImagesByLabel: %v", err)
	}
	var ids []string
	for _, img := range list {
		ids = append(ids, img.ID)
	}
	return ids
}

func instanceIDs(t *testing.T, d lambda.Driver) []string {
	t.Helper()
	list, err := d.ListInstances(testContext(t))
	if err != nil {
		t.Fatalf("ListInstances: %v", err)
	}
	var ids []string
	for _, in := range list {
		ids = append(ids, in.ID)
	}
	return ids
}

func instancesOf(t *testing.T, d lambda.Driver, function string) []*lambda.Instance {
	t.Helper()
	list, err := d.ListInstances(testContext(t))
	if err != nil {
		t.Fatalf("ListInstances: %v", err)
	}
	return slices.DeleteFunc(list, func(in *lambda.Instance) bool { return in.Function != function })
}

// waitExit waits for the exit of id on exits, failing if one of never
// is reported first.
func waitExit(t *testing.T, exits <-chan lambda.Exit, id string, never []string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case exit, ok := <-exits:
			switch {
			case !ok:
				t.Fatal("WatchExits closed its channel before ctx ended")
			case slices.Contains(never, exit.ID):
				t.Fatalf("WatchExits reported the exit of %s, a container of another namespace", exit.ID)
			case exit.ID == id:
				return
			}
		case <-timeout:
			t.Fatalf("WatchExits did not report that %s exited", id)
		}
	}
}
