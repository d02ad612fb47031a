package docker

import (
	"context"
	"time"

	"github.com/moby/moby/client"
)

// createTimeout bounds a create that goes on after its caller gave up.
const createTimeout = 30 * time.Second

// createContainer creates opts' container. A create is not cancelled with
// its context: the daemon goes on with a create whose client went away,
// so a cancelled create could make a container nothing knew the ID of,
// and a removal by name sent at once could reach the daemon before the
// name did (a pre-initialized pool's refill cancelled by a bench run's
// shutdown left a created lambda-preinit container behind that way, in a
// namespace no later server reconciles). So the create runs to its end,
// bounded by createTimeout, and a container made for a caller that gave
// up meanwhile is removed by its ID; one whose create timed out, by its
// name, which is this create's own (random) one.
func (d *Driver) createContainer(ctx context.Context, opts client.ContainerCreateOptions) (client.ContainerCreateResult, error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	defer cancel()
	created, err := d.cli.ContainerCreate(cctx, opts)
	switch {
	case err == nil && ctx.Err() != nil:
		d.removeQuietly(ctx, created.ID)
		return client.ContainerCreateResult{}, ctx.Err()
	case err != nil && cctx.Err() != nil && opts.Name != "":
		d.removeQuietly(ctx, opts.Name)
	}
	return created, err
}
