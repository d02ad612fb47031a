package engine_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// fakeRegistry records the images deleted from it.
type fakeRegistry struct {
	mu      sync.Mutex
	deleted []string
}

func (r *fakeRegistry) DeleteImage(_ context.Context, ref string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deleted = append(r.deleted, ref)
	return nil
}

func (r *fakeRegistry) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.deleted)
}

const testRegistry = "registry.test:5000"

func newRegistryEnv(t *testing.T, keep int) (*env, *fakeRegistry) {
	reg := &fakeRegistry{}
	e := newEnvWithSetup(t, drivertest.NewFake(), filepath.Join(t.TempDir(), "lambda.db"), func(e *env) {
		e.eng.Registry, e.eng.Pushed, e.eng.KeepVersions = testRegistry, reg, keep
	})
	return e, reg
}

// TestDeleteUnpushes: deleting a function deletes every image its
// versions pushed from the registry; a deploy that fails deletes the one
// it pushed, and nothing a version serves from.
func TestDeleteUnpushes(t *testing.T) {
	e, reg := newRegistryEnv(t, 0)
	v1 := e.mustDeploy(t, "greet", lambda.Config{}).Active.ImageID

	e.driver.SetCapacity(1) // v2's instance finds no room
	e.eng.RefreshCapacity()
	if _, err := e.deploy(t, "greet", lambda.Config{Env: map[string]string{"V": "2"}}); lambda.ErrorCode(err) != lambda.ETHROTTLED {
		t.Fatalf("deploy past capacity: %v", err)
	}
	failed := reg.list()
	if len(failed) != 1 || failed[0] == v1 || !strings.HasPrefix(failed[0], testRegistry+"/func-greet@sha256:") {
		t.Fatalf("after the failed deploy the registry lost %q; want the failed version's image alone, not v1's %s", failed, v1)
	}

	e.driver.SetCapacity(0)
	e.eng.RefreshCapacity()
	v3 := e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"V": "3"}}).Active.ImageID
	if err := e.eng.Delete(context.Background(), "greet"); err != nil {
		t.Fatal(err)
	}
	if got, want := reg.list()[1:], []string{v1, v3}; !slices.Equal(got, want) {
		t.Errorf("the delete deleted %q from the registry, want %q", got, want)
	}
}

// TestPruneUnpushes: a version pruned past KeepVersions leaves the
// registry too.
func TestPruneUnpushes(t *testing.T) {
	e, reg := newRegistryEnv(t, 1)
	v1 := e.mustDeploy(t, "greet", lambda.Config{}).Active.ImageID
	e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"V": "2"}})
	eventually(t, "v1's image deleted from the registry", func() bool { return slices.Equal(reg.list(), []string{v1}) })
	for _, tag := range []string{"func-greet:v1", testRegistry + "/func-greet:v1"} {
		if _, ok := e.driver.Image(tag); ok {
			t.Errorf("the pruned version's tag %s is still on the engine", tag)
		}
	}
}

// TestDeleteUnpushesFromAnEarlierRegistry: a server restarted with
// another --registry still deletes a version's image where it was pushed.
func TestDeleteUnpushesFromAnEarlierRegistry(t *testing.T) {
	e, reg := newRegistryEnv(t, 0)
	v1 := e.mustDeploy(t, "greet", lambda.Config{}).Active.ImageID
	e.eng.Registry = "moved.test:5000"
	if err := e.eng.Delete(context.Background(), "greet"); err != nil {
		t.Fatal(err)
	}
	if got := reg.list(); !slices.Equal(got, []string{v1}) {
		t.Errorf("the delete deleted %q from the registry, want v1's %s", got, v1)
	}
}
