package docker

import (
	"context"

	"github.com/moby/moby/client"
)

// createContainer creates opts' container. A create whose context ends
// while the daemon works on it can still make the container, and then
// nothing knows its ID: a start cancelled by the server's shutdown (a
// pre-initialized pool's refill) left a created container behind, which a
// bench run, whose namespace no later server reconciles, never removed.
// So when the context ended, the container is removed by its name, which
// is this create's own (random) one; a create that failed otherwise made
// nothing.
func (d *Driver) createContainer(ctx context.Context, opts client.ContainerCreateOptions) (client.ContainerCreateResult, error) {
	created, err := d.cli.ContainerCreate(ctx, opts)
	if err != nil && ctx.Err() != nil && opts.Name != "" {
		d.removeQuietly(ctx, opts.Name)
	}
	return created, err
}
