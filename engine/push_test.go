package engine_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// TestDeployWithRegistry: with a registry, a version's image is the pushed
// digest reference, instances start from it with the function's placement,
// and an unreachable registry fails the deploy clearly while the active
// version keeps serving.
func TestDeployWithRegistry(t *testing.T) {
	const registry = "registry.test:5000"
	e := newEnvWithSetup(t, drivertest.NewFake(), filepath.Join(t.TempDir(), "lambda.db"), func(e *env) { e.eng.Registry = registry })
	fn := e.mustDeploy(t, "greet", lambda.Config{Placement: []string{"node.labels.gpu==true"}})
	if id := fn.Active.ImageID; !strings.HasPrefix(id, registry+"/func-greet@sha256:") {
		t.Fatalf("version 1's image is %q, want the pushed digest reference %s/func-greet@sha256:…", id, registry)
	}
	specs := e.driver.Specs()
	if len(specs) != 1 || specs[0].Image != fn.Active.ImageID || len(specs[0].Placement) != 1 || specs[0].Placement[0] != "node.labels.gpu==true" {
		t.Fatalf("instances started from %+v, want the pushed reference and the placement", specs)
	}

	e.driver.SetRegistryDown(registry, true)
	_, err := e.deploy(t, "greet", lambda.Config{Env: map[string]string{"V": "2"}})
	if lambda.ErrorCode(err) != lambda.EUNAVAILABLE || !strings.Contains(err.Error(), "registry "+registry) {
		t.Fatalf("deploy with the registry down = %v, want EUNAVAILABLE naming the registry", err)
	}
	got, err := e.store.FindFunction(context.Background(), "greet")
	if err != nil || got.ActiveVersion != 1 {
		t.Fatalf("after the failed push the function is %+v, %v; want version 1 still active", got, err)
	}
	if _, status := e.call(t, "greet"); status != 200 {
		t.Errorf("version 1 answered %d after the failed deploy", status)
	}
}

// TestDeployWithoutRegistryKeepsLocalID: the local backend's identity is
// unchanged.
func TestDeployWithoutRegistryKeepsLocalID(t *testing.T) {
	e := newEnv(t)
	fn := e.mustDeploy(t, "greet", lambda.Config{})
	if !strings.HasPrefix(fn.Active.ImageID, "sha256:") {
		t.Fatalf("image %q, want the local ID", fn.Active.ImageID)
	}
}
