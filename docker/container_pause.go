package docker

import (
	"context"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/client"
)

// PauseInstance freezes the container with the cgroup freezer (docker
// pause). Docker answers "is already paused" to a second pause (a 409 or
// a 500, by version): the contract makes that a success. A container that
// is not running cannot be paused: the error says so.
func (d *Driver) PauseInstance(ctx context.Context, id string) error {
	if id == "" {
		return lambda.Errorf(lambda.EINVALID, "instance ID is empty")
	}
	_, err := d.cli.ContainerPause(ctx, id, client.ContainerPauseOptions{})
	if err != nil && !cerrdefs.IsNotFound(err) && strings.Contains(err.Error(), "is already paused") {
		return nil
	}
	return d.wrap(err, "pause instance %s", id)
}

// UnpauseInstance thaws the container (docker unpause); Docker's "is not
// paused" is a success.
func (d *Driver) UnpauseInstance(ctx context.Context, id string) error {
	if id == "" {
		return lambda.Errorf(lambda.EINVALID, "instance ID is empty")
	}
	_, err := d.cli.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
	if err != nil && !cerrdefs.IsNotFound(err) && strings.Contains(err.Error(), "is not paused") {
		return nil
	}
	return d.wrap(err, "unpause instance %s", id)
}
