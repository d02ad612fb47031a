package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// createdLongAgo lists every container as Docker's listing does, with its
// create time, and starts generic instances as if an hour before: a
// pre-created spare or a generic instance is created long before it
// becomes a function's instance.
type createdLongAgo struct {
	*preinitDriver
	at time.Time
}

func (d createdLongAgo) ListInstances(ctx context.Context) ([]*lambda.Instance, error) {
	all, err := d.preinitDriver.ListInstances(ctx)
	for _, in := range all {
		in.CreatedAt = d.at
	}
	return all, err
}

func (d createdLongAgo) StartPreinit(ctx context.Context, ps lambda.PreinitSpec) (*lambda.Instance, error) {
	in, err := d.preinitDriver.StartPreinit(ctx, ps)
	if err == nil {
		in.CreatedAt = d.at
	}
	return in, err
}

// TestInstanceAgeIsFromWhenItBecameTheFunctions: lambda describe's AGE of
// an instance counts from when it started serving its function, not from
// when its container was created. Before, Instances took the listing's
// create time: a generic instance given to a function showed the age of
// the generic container (minutes, up to the pool's idle hour), a spare's
// start its create at the deploy (seen with a real server: an instance up
// 4 s listed as 45 s old).
func TestInstanceAgeIsFromWhenItBecameTheFunctions(t *testing.T) {
	longAgo := time.Now().Add(-time.Hour)
	e, _, _ := newPreinitEnv(t, 1, func(e *env) {
		e.eng.Driver = createdLongAgo{preinitDriver: e.eng.Driver.(*preinitDriver), at: longAgo}
	})
	pythonRuntime(t, e, "lambda-runtime-python:t1", "base1")
	e.mustDeploy(t, "greet", lambda.Config{})
	eventually(t, "a generic instance and the code", func() bool { return e.preinitReady(t, "greet") == 1 })

	before := time.Now()
	served := e.coldStart(t, "greet")
	running := e.running(t, "greet")
	if len(running) != 1 || running[0].ID != served {
		t.Fatalf("greet's instances %v, want the one that served the cold start, %s", running, served)
	}
	if got := running[0].CreatedAt; got.Before(before) {
		t.Errorf("the instance given a generic container is listed as created at %s, before its cold start at %s (the generic container's create)", got, before)
	}

	// A regular start: TZ is read by the interpreter at its start, so
	// this function takes no generic instance.
	e.mustDeploy(t, "tz", lambda.Config{Env: map[string]string{"TZ": "Europe/Paris"}})
	before = time.Now()
	served = e.coldStart(t, "tz")
	running = e.running(t, "tz")
	if len(running) != 1 || running[0].ID != served {
		t.Fatalf("tz's instances %v, want the one that served the cold start, %s", running, served)
	}
	if got := running[0].CreatedAt; got.Before(before) {
		t.Errorf("the instance of a regular start is listed as created at %s, before its start at %s (the container's create)", got, before)
	}
}
