package engine_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// holders lists the driver's network holders (docker/holder.go: a spare
// is created in one, which goes with it or with the instance it becomes).
func (e *env) holders(t *testing.T) []string {
	t.Helper()
	ids, err := e.driver.NetworkHolders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func (e *env) holderOf(t *testing.T, id string) (holder, addr string) {
	t.Helper()
	holder, addr, err := e.driver.NetworkHolder(context.Background(), id)
	if err != nil || holder == "" {
		t.Fatalf("NetworkHolder(%s) = %q, %v: want the holder it was created in", id, holder, err)
	}
	return holder, addr
}

// TestPrecreateHoldersFollowTheirContainers: each spare is created in a
// network holder; the cold start it serves is on the holder's address;
// the holder goes with its instance (scale to zero), with its spare (a
// deploy drains the old version's pool) and with the function (delete).
func TestPrecreateHoldersFollowTheirContainers(t *testing.T) {
	e, clock := newClockEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.scale(t, "greet", lambda.ScalingPatch{IdleTimeout: ptr(lambda.Duration(time.Minute))})
	spare := e.spare(t, clock, "greet", 1)
	holder, addr := e.holderOf(t, spare)
	if h := e.holders(t); len(h) != 1 || h[0] != holder {
		t.Fatalf("holders %v, want the spare's %s alone", h, holder)
	}

	clock.Advance(2 * time.Minute)
	e.eng.ReapNow()
	eventually(t, "scaled to zero", func() bool { return len(e.running(t, "greet")) == 0 })
	lease, status := e.call(t, "greet")
	if status != 200 || !lease.Cold || lease.Instance != spare {
		t.Fatalf("cold start: status %d cold %v on %s, want 200, cold, on the pre-created %s", status, lease.Cold, lease.Instance, spare)
	}
	if run := e.running(t, "greet"); len(run) != 1 || run[0].Addr != addr {
		t.Errorf("running %+v, want the started spare on its holder's address %s", run, addr)
	}
	next := e.spare(t, clock, "greet", 1)
	nextHolder, _ := e.holderOf(t, next)

	clock.Advance(2 * time.Minute)
	e.eng.ReapNow()
	eventually(t, "the instance's holder gone with it", func() bool {
		return len(e.running(t, "greet")) == 0 && slices.Equal(e.holders(t), []string{nextHolder})
	})

	e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"A": "c"}})
	v2 := e.spare(t, clock, "greet", 2)
	v2Holder, _ := e.holderOf(t, v2)
	eventually(t, "v1's spare's holder gone with it", func() bool { return slices.Equal(e.holders(t), []string{v2Holder}) })

	if err := e.eng.Delete(context.Background(), "greet"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "no holder left after the delete", func() bool { return len(e.holders(t)) == 0 })
}

// TestPrecreateHoldersAtCloseAndReconcile: Close removes the spares'
// holders; a holder a killed server left serving nothing is removed by
// the next server's reconcile.
func TestPrecreateHoldersAtCloseAndReconcile(t *testing.T) {
	driver := drivertest.NewFake()
	path := filepath.Join(t.TempDir(), "lambda.db")
	clock := newFakeClock()
	e := newEnvWithSetup(t, driver, path, func(e *env) { e.eng.Clock = clock })
	clock.BlockUntil(t, 1)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.spare(t, clock, "greet", 1)
	if err := e.eng.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h := e.holders(t); len(h) != 0 {
		t.Errorf("holders left after Close: %v", h)
	}

	left := driver.LeaveHolder("greet", 1)
	e2 := newEnvWith(t, driver, path)
	eventually(t, "the leftover holder removed", func() bool { return !slices.Contains(e2.holders(t), left) })
}

// TestHolderDeathFailsItsInstance: an instance whose holder dies has lost
// its network; the driver kills it, and the engine drops it and starts
// another on demand.
func TestHolderDeathFailsItsInstance(t *testing.T) {
	e, spare := scaledToZeroWithSpare(t)
	if lease, status := e.call(t, "greet"); status != 200 || lease.Instance != spare {
		t.Fatalf("cold start: status %d on %s, want 200 on the pre-created %s", status, lease.Instance, spare)
	}
	holder, _ := e.holderOf(t, spare)
	if err := e.driver.KillHolder(holder); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the instance dropped", func() bool {
		lease, err := e.eng.Acquire(context.Background(), "greet")
		if err != nil {
			t.Fatal(err)
		}
		lease.Release(false)
		return lease.Instance != spare
	})
	if lease, status := e.call(t, "greet"); status != 200 || lease.Instance == spare {
		t.Errorf("after the holder's death: status %d on %s, want 200 on another instance", status, lease.Instance)
	}
}
