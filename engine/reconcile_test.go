package engine_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// withImages gives the engine the fake as its image driver, which image
// reconciliation and deletion need.
func withImages(e *env) { e.eng.Images = e.driver }

// buildLeftover builds an image as an interrupted deploy of function
// leaves it: labelled with the function, tagged with tags (none: dangling).
func buildLeftover(t *testing.T, d *drivertest.Fake, function string, version string, tags ...string) string {
	t.Helper()
	labels := map[string]string{lambda.LabelManaged: "true", lambda.LabelVersion: version}
	if function != "" {
		labels[lambda.LabelFunction] = function
	}
	id, err := d.BuildImage(context.Background(), lambda.BuildRequest{
		Context: bytes.NewReader(drivertest.Tar(t, drivertest.File{Name: "Dockerfile", Data: []byte("FROM scratch\n")})),
		Tags:    tags,
		Labels:  labels,
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// buildCodeBase builds an image as the Docker driver's code layer leaves
// the builder's part of a function's build: labelled with the function
// and no version, untagged (docker/build_code.go).
func buildCodeBase(t *testing.T, d *drivertest.Fake, function string) string {
	t.Helper()
	id, err := d.BuildImage(context.Background(), lambda.BuildRequest{
		Context: bytes.NewReader(drivertest.Tar(t, drivertest.File{Name: "Dockerfile", Data: []byte("FROM scratch\nENV BASE=" + function + "\n")})),
		Labels:  map[string]string{lambda.LabelManaged: "true", lambda.LabelFunction: function},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestReconcileImages restarts a server killed mid-deploy: its images no
// version records are removed; recorded versions, other servers' images,
// images without a function label and users' images stay.
func TestReconcileImages(t *testing.T) {
	engine := drivertest.NewFake()
	mine, theirs := engine.WithNamespace("a"), engine.WithNamespace("b")
	path := filepath.Join(t.TempDir(), "lambda.db")
	e := newEnvWithSetup(t, mine, path, withImages)
	e.mustDeploy(t, "greet", lambda.Config{})
	v1, _ := mine.Image("func-greet:v1")

	gone := map[string]string{
		"built, never recorded": buildLeftover(t, mine, "greet", "2", "func-greet:v2"),
		"dangling":              buildLeftover(t, mine, "greet", "3"),
		"deleted function":      buildLeftover(t, mine, "ghost", "1", "func-ghost:v1"),
	}
	kept := map[string]string{
		"recorded version":        v1.ID,
		"other server's":          buildLeftover(t, theirs, "greet", "9", "func-greet:v9"),
		"other server's dangling": buildLeftover(t, theirs, "greet", "10"),
		"runtime image":           buildLeftover(t, mine, "", "0", "lambda-runtime:v1"),
		"user's":                  buildLeftover(t, engine, "", "0", "user/app:v1"),
		// The builder's cache under the next version's code layer: removed
		// at each restart, the next deploy ran every step before the
		// code's COPY again, a dependency install included.
		"code layer's base": buildCodeBase(t, mine, "greet"),
	}
	if err := e.eng.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	again := newEnvWithSetup(t, mine, path, withImages)
	eventually(t, "leftover images removed", func() bool {
		for _, id := range gone {
			if _, ok := engine.Image(id); ok {
				return false
			}
		}
		return true
	})
	for what, id := range kept {
		if _, ok := engine.Image(id); !ok {
			t.Errorf("the %s image %s was removed", what, id)
		}
	}
	if _, ok := engine.Image("func-greet:v2"); ok {
		t.Error("the tag func-greet:v2 of an unrecorded version is left")
	}
	if _, status := again.call(t, "greet"); status != 200 {
		t.Errorf("the recorded version answers %d after the restart", status)
	}
}

// TestDeleteRemovesLabelledImages: delete removes the function's images
// that no version records too, and none of another server's.
func TestDeleteRemovesLabelledImages(t *testing.T) {
	engine := drivertest.NewFake()
	mine, theirs := engine.WithNamespace("a"), engine.WithNamespace("b")
	e := newEnvWithSetup(t, mine, filepath.Join(t.TempDir(), "lambda.db"), withImages)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"V": "2"}})
	orphans := []string{buildLeftover(t, mine, "greet", "3", "func-greet:v3"), buildLeftover(t, mine, "greet", "4"), buildCodeBase(t, mine, "greet")}
	other := buildLeftover(t, theirs, "greet", "1", "func-greet-b:v1")
	// Version 1's instance drains in the background after the switch; its
	// image can be removed only once it is gone.
	eventually(t, "version 1's instance stopped", func() bool {
		ins, err := mine.ListInstances(context.Background())
		if err != nil {
			return false
		}
		for _, in := range ins {
			if in.Version == 1 {
				return false
			}
		}
		return true
	})
	// The tag of a version whose image is already gone is no failure.
	if err := mine.RemoveImage(context.Background(), "func-greet:v1"); err != nil {
		t.Fatal(err)
	}

	if err := e.eng.Delete(context.Background(), "greet"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for _, ref := range append([]string{"func-greet:v1", "func-greet:v2"}, orphans...) {
		if _, ok := engine.Image(ref); ok {
			t.Errorf("image %s left after Delete", ref)
		}
	}
	if _, ok := engine.Image(other); !ok {
		t.Error("Delete removed another server's image of a function of the same name")
	}
}

// TestOpenRemovesLeftoverDirs: the temporary directories a killed server
// left in its own TempDir go at Open; anything else there stays.
func TestOpenRemovesLeftoverDirs(t *testing.T) {
	tmp := t.TempDir()
	leftovers := []string{"lambda-deploy-123", "lambda-go-build-456"}
	for _, d := range append(leftovers, "keep-me") {
		if err := os.MkdirAll(filepath.Join(tmp, d, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	newEnvWithSetup(t, drivertest.NewFake(), filepath.Join(t.TempDir(), "lambda.db"), func(e *env) { e.eng.TempDir = tmp })
	for _, d := range leftovers {
		if _, err := os.Stat(filepath.Join(tmp, d)); !os.IsNotExist(err) {
			t.Errorf("%s is left after Open: %v", d, err)
		}
	}
	if _, err := os.Stat(filepath.Join(tmp, "keep-me")); err != nil {
		t.Errorf("Open removed a directory that is not its own: %v", err)
	}
}

// TestLeaseFailure: a request that an instance broke learns why from its
// lease: out of memory (with the limit) or an exit status; nil while the
// instance runs.
func TestLeaseFailure(t *testing.T) {
	tests := []struct {
		name string
		kill func(f *drivertest.Fake, id string) error
		code string
		want []string // in the message; nil: no diagnosis
	}{
		{"out of memory", (*drivertest.Fake).OOM, lambda.EOUTOFMEMORY, []string{`function "greet" ran out of memory (limit 32m) and was stopped`}},
		{"killed", (*drivertest.Fake).Kill, lambda.EFUNCTION, []string{`function "greet" exited with status 137`}},
		{"still running", nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.mustDeploy(t, "greet", lambda.Config{MemoryBytes: 32 << 20})
			lease, err := e.eng.Acquire(context.Background(), "greet")
			if err != nil {
				t.Fatal(err)
			}
			defer lease.Release(true)
			ctx := context.Background()
			if tt.kill != nil {
				if err := tt.kill(e.driver, e.running(t, "greet")[0].ID); err != nil {
					t.Fatal(err)
				}
			} else {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
			}
			err = lease.Failure(ctx)
			if tt.want == nil {
				if err != nil {
					t.Errorf("Failure of a running instance = %v, want nil", err)
				}
				return
			}
			if lambda.ErrorCode(err) != tt.code {
				t.Fatalf("Failure = %v, want a %s error", err, tt.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(lambda.ErrorMessage(err), w) {
					t.Errorf("Failure = %q, want it to say %q", lambda.ErrorMessage(err), w)
				}
			}
		})
	}
}
