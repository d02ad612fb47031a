package engine

import (
	"context"
	"time"

	"github.com/lambdahq/lambda"
)

// imagesInUseWait bounds how long a delete waits for the container engine
// to let go of the function's images once its instances are gone: Swarm's
// agents remove a removed service's task containers a moment after the
// service, and until then the image is in use (a conflict).
const imagesInUseWait = 30 * time.Second

// removeImagesOnceFree is removeImages, tried again while an image is
// still in use, for at most imagesInUseWait.
func (e *Engine) removeImagesOnceFree(ctx context.Context, name string, versions []*lambda.Version) error {
	deadline := time.Now().Add(imagesInUseWait)
	for {
		err := e.removeImages(ctx, name, versions)
		if lambda.ErrorCode(err) != lambda.ECONFLICT || time.Now().After(deadline) {
			return err
		}
		e.Logger.Debug("delete: an image is still in use; retrying", "function", name, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}
