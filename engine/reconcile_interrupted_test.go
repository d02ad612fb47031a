package engine_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lambdahq/lambda/drivertest"
	"github.com/lambdahq/lambda/engine"
)

// TestInterruptedDeploysImageIsSweptLater: a server that starts with a
// deploy's folder left by its last run (killed mid-deploy) sweeps the
// images again a while after its start, so the image of a build the
// daemon finished after the first sweep goes too. Before, it stayed until
// the next restart (e2e TestHostileFunctions "server killed mid-deploy").
func TestInterruptedDeploysImageIsSweptLater(t *testing.T) {
	defer engine.SetInterruptedBuildWait(50 * time.Millisecond)()
	d := drivertest.NewFake()
	tmp := t.TempDir()
	if err := os.Mkdir(filepath.Join(tmp, "lambda-deploy-123"), 0o700); err != nil {
		t.Fatal(err)
	}
	newEnvWithSetup(t, d, filepath.Join(t.TempDir(), "lambda.db"), func(e *env) {
		withImages(e)
		e.eng.TempDir = tmp
	})
	// The daemon ends the killed deploy's build after the start's sweep.
	time.Sleep(20 * time.Millisecond)
	late := buildLeftover(t, d, "killed", "1", "func-killed:v1")
	eventually(t, "the late image of the interrupted deploy removed", func() bool {
		_, ok := d.Image(late)
		return !ok
	})
}
