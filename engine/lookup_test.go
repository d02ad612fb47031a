package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestLookupFunction: the engine's answer follows deploys, rollbacks,
// scaling changes and deletes, and matches what the store says.
func TestLookupFunction(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	want := func(what, name string, version, asyncConcurrency int) {
		t.Helper()
		got, err := e.eng.LookupFunction(ctx, name)
		if err != nil {
			t.Fatalf("%s: LookupFunction(%s): %v", what, name, err)
		}
		fn, err := e.store.FindFunction(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		stored := fn.Scaling.Effective(fn.Active.Config.Protocol)
		if got.Name != name || got.Version != version || got.Scaling.AsyncConcurrency != asyncConcurrency ||
			got.Version != fn.ActiveVersion || *got.Scaling.MaxRetries != *stored.MaxRetries ||
			got.Scaling.AsyncConcurrency != stored.AsyncConcurrency || got.Scaling.MaxInstances != stored.MaxInstances {
			t.Errorf("%s: %+v; want version %d, async concurrency %d, as the store says (version %d, %+v)", what, got, version, asyncConcurrency, fn.ActiveVersion, stored)
		}
	}
	notFound := func(what, name string) {
		t.Helper()
		if got, err := e.eng.LookupFunction(ctx, name); lambda.ErrorCode(err) != lambda.ENOTFOUND {
			t.Errorf("%s: LookupFunction(%s) = %+v, %v; want not found", what, name, got, err)
		}
	}

	notFound("never deployed", "greet")
	e.mustDeploy(t, "greet", lambda.Config{})
	want("deployed", "greet", 1, lambda.DefaultMaxInstances*lambda.DefaultHTTPConcurrency)
	three, one := 3, 1
	if _, err := e.eng.UpdateScaling(ctx, "greet", lambda.ScalingPatch{AsyncConcurrency: &three, MaxRetries: &one}); err != nil {
		t.Fatal(err)
	}
	want("scaling changed", "greet", 1, 3)
	e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"V": "2"}})
	want("redeployed", "greet", 2, 3)
	if _, err := e.eng.Rollback(ctx, "greet", 1); err != nil {
		t.Fatal(err)
	}
	want("rolled back", "greet", 1, 3)

	// A function the engine has not routed is read from the store.
	v := &lambda.Version{Function: "direct", Number: 1, Image: "func-direct:v1", CodeSHA256: "c0de", CreatedAt: time.Now(),
		Config: lambda.Config{Runtime: lambda.RuntimeGo, Protocol: lambda.ProtocolAWS, Port: 8080, MemoryBytes: lambda.DefaultMemoryBytes, Timeout: lambda.Duration(time.Second)}}
	if err := e.store.PublishVersion(ctx, v); err != nil {
		t.Fatal(err)
	}
	want("only in the store", "direct", 1, lambda.DefaultMaxInstances)

	if err := e.eng.Delete(ctx, "greet"); err != nil {
		t.Fatal(err)
	}
	notFound("deleted", "greet")
}
