package docker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// ScaleStart creates and starts n hardened containers of image at once on
// the platform's network, as a client of the Docker API starting n
// instances in parallel would, and returns the time from the first create
// call until every one of them has answered 200 on port. They are all
// removed before it returns, outside the time. It is the baseline of the
// platform's scale-out (`lambda bench`, scale.bare_containers_per_s).
func (d *Driver) ScaleStart(ctx context.Context, image string, port, n int) (time.Duration, error) {
	spec := lambda.InstanceSpec{Function: bareFunction, Image: image, Port: port}
	if err := spec.Validate(); err != nil {
		return 0, err
	}
	if n < 1 {
		return 0, lambda.Errorf(lambda.EINVALID, "start at least one container, not %d", n)
	}
	netID, err := d.ensureNetwork(ctx)
	if err != nil {
		return 0, err
	}
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i], errs[i] = d.bareServe(ctx, spec, netID)
		}()
	}
	wg.Wait()
	took := time.Since(start)
	for _, id := range ids {
		if id == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.removeQuietly(ctx, id)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	return took, nil
}
