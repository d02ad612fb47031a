package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// newPruneEnv is an env keeping keep versions' images, on a fake clock
// (retries of pruning wait on it) and logging at debug level into logs.
func newPruneEnv(t *testing.T, keep int) (*env, *fakeClock, *lockedBuffer) {
	return newPruneEnvWith(t, drivertest.NewFake(), filepath.Join(t.TempDir(), "lambda.db"), keep)
}

func newPruneEnvWith(t *testing.T, driver *drivertest.Fake, path string, keep int) (*env, *fakeClock, *lockedBuffer) {
	clock, logs := newFakeClock(), &lockedBuffer{}
	e := newEnvWithSetup(t, driver, path, func(e *env) {
		e.eng.KeepVersions, e.eng.Clock = keep, clock
		e.eng.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	return e, clock, logs
}

// waitPruned waits until exactly the versions pruned are marked pruned
// without an image, and the others keep theirs. The clock moves on while
// it waits, so that retries happen.
func (e *env) waitPruned(t *testing.T, clock *fakeClock, name string, pruned ...int) {
	t.Helper()
	var got []int
	eventually(t, fmt.Sprintf("versions %v pruned", pruned), func() bool {
		clock.Advance(time.Minute)
		got = e.pruneState(t, name)
		return slices.Equal(got, pruned)
	})
}

// pruneState returns name's versions marked pruned, failing if a marked
// one kept its image or an unmarked one lost it.
func (e *env) pruneState(t *testing.T, name string) []int {
	t.Helper()
	vs, err := e.store.ListVersions(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	var pruned []int
	for _, v := range vs {
		_, hasImage := e.driver.Image(v.Image)
		if v.PrunedAt != nil && hasImage {
			t.Fatalf("version %d is marked pruned but its image is there", v.Number)
		}
		if v.PrunedAt == nil && !hasImage {
			// Removed, not yet marked: the next look sees it marked.
			return nil
		}
		if v.PrunedAt != nil {
			pruned = append(pruned, v.Number)
		}
	}
	return pruned
}

func TestPruneKeepsNewestVersions(t *testing.T) {
	e, clock, _ := newPruneEnv(t, 2)
	ctx := context.Background()
	for i := range 4 {
		e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"N": fmt.Sprint(i)}})
	}
	e.waitPruned(t, clock, "greet", 1, 2)

	tests := []struct {
		name string
		to   int
		code string
		msg  string
	}{
		{"pruned version", 1, lambda.ECONFLICT, `version 1 of "greet" was pruned`},
		{"kept version", 3, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.eng.Rollback(ctx, "greet", tt.to)
			if lambda.ErrorCode(err) != tt.code || !strings.Contains(lambda.ErrorMessage(err), tt.msg) {
				t.Fatalf("rollback to %d: %v, want code %q with %q", tt.to, err, tt.code, tt.msg)
			}
		})
	}
	if !strings.Contains(lambda.ErrorMessage(func() error { _, err := e.eng.Rollback(ctx, "greet", 1); return err }()), "deploy its code again") {
		t.Error("the refusal does not say to redeploy")
	}
	// Version 3 serves; a new version makes it one of the two newest
	// no more, and it is no longer active: it goes.
	e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"N": "last"}})
	e.waitPruned(t, clock, "greet", 1, 2, 3)
	if lease, status := e.call(t, "greet"); status != 200 || lease.Version != 5 {
		t.Errorf("version %d serves (status %d), want 5", lease.Version, status)
	}
}

// TestPruneSparesActiveVersion lowers the limit over a function rolled
// back to its oldest version: the sweep at start prunes the others only.
func TestPruneSparesActiveVersion(t *testing.T) {
	driver, path := drivertest.NewFake(), filepath.Join(t.TempDir(), "lambda.db")
	e, _, _ := newPruneEnvWith(t, driver, path, 3)
	ctx := context.Background()
	for i := range 3 {
		e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"N": fmt.Sprint(i)}})
	}
	if _, err := e.eng.Rollback(ctx, "greet", 1); err != nil {
		t.Fatal(err)
	}
	if err := e.eng.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// No instance holds version 1's image, as after an idle scale-down:
	// only the rule protects it.
	all, err := driver.ListInstances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range all {
		if err := driver.StopInstance(ctx, in.ID, 0); err != nil {
			t.Fatal(err)
		}
	}
	e, clock, _ := newPruneEnvWith(t, driver, path, 1)
	e.waitPruned(t, clock, "greet", 2)
	if lease, status := e.call(t, "greet"); status != 200 || lease.Version != 1 {
		t.Errorf("version %d serves (status %d), want 1", lease.Version, status)
	}
}

func TestPruneWaitsForDrainingInstance(t *testing.T) {
	e, clock, logs := newPruneEnv(t, 1)
	ctx := context.Background()
	e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"N": "1"}})
	busy, err := e.eng.Acquire(ctx, "greet")
	if err != nil {
		t.Fatal(err)
	}
	e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"N": "2"}})
	// Version 1's instance drains while its request runs: its image is
	// kept, and pruning is retried.
	eventually(t, "prune skipped the draining version", func() bool {
		return strings.Contains(logs.String(), "version still has a container")
	})
	if got := e.pruneState(t, "greet"); len(got) != 0 {
		t.Fatalf("pruned %v while an instance ran version 1", got)
	}
	busy.Release(false)
	eventually(t, "old instance stopped", func() bool { return len(e.running(t, "greet")) == 1 })
	e.waitPruned(t, clock, "greet", 1)
}

// lockedBuffer is a bytes.Buffer safe for the logger's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
