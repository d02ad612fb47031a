package engine_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestPreinitDeleteDuringInit: a function deleted while a generic
// instance takes its init leaves nothing running once the init answers:
// the container that became the deleted function's is stopped, and the
// cold start that waited for it fails instead of serving.
func TestPreinitDeleteDuringInit(t *testing.T) {
	arrived, release := make(chan struct{}, 8), make(chan struct{})
	held := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(held.Close)
	e, d, _ := newPreinitEnv(t, 1, func(e *env) { e.eng.SetPreinitInitAddr(held.Listener.Addr().String()) })
	pythonRuntime(t, e, "lambda-runtime-python:t1", "base1")
	e.mustDeploy(t, "greet", lambda.Config{})
	eventually(t, "a generic instance and the code", func() bool { return e.preinitReady(t, "greet") == 1 })
	_, ids := d.started()
	generic := ids[0]
	for _, in := range e.running(t, "greet") {
		if err := e.driver.Kill(in.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the engine to process the exit", func() bool { return !e.eng.Live(in.ID) })
	}

	acquired := make(chan error, 1)
	go func() {
		lease, err := e.eng.Acquire(context.Background(), "greet")
		if err == nil {
			lease.Release(false)
		}
		acquired <- err
	}()
	<-arrived // the cold start's init, held
	if err := e.eng.Delete(context.Background(), "greet"); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-acquired; err == nil {
		t.Error("the cold start of a function deleted during its init was served")
	}
	eventually(t, "the generic instance given to the deleted function to stop", func() bool {
		all, err := e.driver.ListInstances(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range all {
			if in.ID == generic {
				return !in.Running
			}
		}
		return true
	})
	if e.eng.Live(generic) {
		t.Error("the engine still counts the deleted function's instance as live")
	}
}
