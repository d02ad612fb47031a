package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// latePauses freezes the container at once, as Docker does, but answers
// only once release is closed, with err: the window in which Docker lists
// the container paused while the engine has not heard back (long on a
// loaded host, and where lambda bench sends its request).
type latePauses struct {
	*drivertest.Fake
	release chan struct{}
	err     error
}

func (d *latePauses) PauseInstance(ctx context.Context, id string) error {
	if err := d.Fake.PauseInstance(ctx, id); err != nil {
		return err
	}
	select {
	case <-d.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return d.err
}

// TestStandbyRequestDuringPause: a request that resumes an instance whose
// pause is still in flight is answered by it once the pause returns,
// whether the pause succeeded or froze the container and then failed.
// The request used to be sent to the frozen container with nobody to thaw
// it, until its timeout (lambda bench: 504 on a paused sample).
func TestStandbyRequestDuringPause(t *testing.T) {
	tests := []struct {
		name     string
		pauseErr error
	}{
		{"the pause answers late", nil},
		{"the pause froze and then failed", errors.New("context deadline exceeded")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &latePauses{Fake: drivertest.NewFake(), release: make(chan struct{}), err: tt.pauseErr}
			e, id := idleGreet(t, d.Fake, d)
			e.eng.ReapNow()
			eventually(t, "Docker lists the container paused", func() bool { return e.frozen(t, id) })

			got := make(chan error, 1)
			go func() { got <- e.request("greet", id) }()
			eventually(t, "the request took the paused instance", func() bool {
				return e.states(t, "greet")[id] == lambda.InstanceBusy
			})
			close(d.release)
			if err := <-got; err != nil {
				t.Fatal(err)
			}
			if e.frozen(t, id) {
				t.Error("the container is still paused after serving")
			}
		})
	}
}

// idleGreet deploys greet on driver (fake wrapped), with a standby
// budget, and leaves its one instance, id, idle past its idle timeout:
// the next reaper pass pauses it.
func idleGreet(t *testing.T, fake *drivertest.Fake, driver lambda.InstanceDriver) (e *env, id string) {
	t.Helper()
	clock := newFakeClock()
	e = newEnvWithSetup(t, fake, filepath.Join(t.TempDir(), "lambda.db"), func(e *env) {
		e.eng.Clock, e.eng.StandbyMemory, e.eng.Driver = clock, 1<<30, driver
	})
	clock.BlockUntil(t, 1)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.scale(t, "greet", lambda.ScalingPatch{IdleTimeout: ptr(lambda.Duration(time.Minute))})
	id, _ = only(t, e.states(t, "greet"))
	clock.Advance(2 * time.Minute)
	return e, id
}

// request acquires name, expecting instance id resumed, and sends it one
// request, bounded: a frozen instance would hold it.
func (e *env) request(name, id string) error {
	lease, err := e.eng.Acquire(context.Background(), name)
	if err != nil {
		return fmt.Errorf("acquire %s: %w", name, err)
	}
	defer lease.Release(false)
	if lease.Cold || lease.Instance != id {
		return fmt.Errorf("served by %s (cold %v), want the paused %s resumed", lease.Instance, lease.Cold, id)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + lease.Addr + "/")
	if err != nil {
		return fmt.Errorf("request to the resumed instance: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("request to the resumed instance: status %d", resp.StatusCode)
	}
	return nil
}
