package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestDeleteWaitsForImagesInUse: a container the engine no longer counts
// as the function's still holds its image for a moment (a Swarm agent
// removes a removed service's task container after the service); the
// delete waits for it rather than fail with a conflict. It failed with
// "image … is in use" before.
func TestDeleteWaitsForImagesInUse(t *testing.T) {
	e := newEnv(t)
	fn := e.mustDeploy(t, "greet", lambda.Config{})
	ctx := context.Background()
	lingering, err := e.driver.StartInstance(ctx, lambda.InstanceSpec{Function: "lingering", Version: 1, Image: fn.Active.ImageID, Port: 8080})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = e.driver.StopInstance(ctx, lingering.ID, 0)
	}()
	if err := e.eng.Delete(ctx, "greet"); err != nil {
		t.Fatalf("Delete while a lingering container held the image: %v", err)
	}
	if _, ok := e.driver.Image(fn.Active.ImageID); ok {
		t.Errorf("the image of greet is still there after the delete")
	}
}
