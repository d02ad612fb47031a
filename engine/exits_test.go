package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestLeaseFailureLateOOM: Docker may report a container's death by
// SIGKILL before it knows the kernel killed it for memory, and say so in
// a second event (docker/events_oom.go). A request the instance broke is
// still told it ran out of memory, not "exited with status 137"
// (TestOutOfMemory's flake).
func TestLeaseFailureLateOOM(t *testing.T) {
	e := newEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{MemoryBytes: 32 << 20})
	lease, err := e.eng.Acquire(context.Background(), "greet")
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release(true)
	id := e.running(t, "greet")[0].ID
	if err := e.driver.Kill(id); err != nil { // the die event: 137, not OOMKilled
		t.Fatal(err)
	}
	// The engine has the die event before the request asks why.
	eventually(t, "the engine to process the exit", func() bool { return !e.eng.Live(id) })

	failure := make(chan error, 1)
	asking := make(chan struct{})
	go func() {
		close(asking)
		failure <- lease.Failure(context.Background())
	}()
	<-asking
	e.driver.OOMNotice(id) // the oom event, after the die
	err = <-failure
	if lambda.ErrorCode(err) != lambda.EOUTOFMEMORY {
		t.Fatalf("Failure = %v, want an EOUTOFMEMORY error", err)
	}
	if want := `function "greet" ran out of memory (limit 32m) and was stopped`; !strings.Contains(lambda.ErrorMessage(err), want) {
		t.Errorf("Failure = %q, want it to say %q", lambda.ErrorMessage(err), want)
	}
}
