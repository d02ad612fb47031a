package docker

import (
	"context"
	"errors"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/client"
)

var _ lambda.PrecreateDriver = (*Driver)(nil)

// CreateInstance creates spec's hardened container without starting it,
// in the network namespace of a holder started for it (holder.go), so
// that its start joins a namespace instead of making one. When the holder
// cannot be had, the container is created on the network as a regular
// one: Docker connects it at its start, and it holds no address until
// then.
func (d *Driver) CreateInstance(ctx context.Context, spec lambda.InstanceSpec) (string, error) {
	if err := spec.Validate(); err != nil {
		return "", err
	}
	if id, err := d.createInHolder(ctx, spec); err == nil {
		return id, nil
	} else if ctx.Err() != nil {
		return "", err
	} else if !errors.Is(err, errNoHolders) {
		d.logger().Warn("docker: no network holder for a pre-created container; creating it on the network", "function", spec.Function, "version", spec.Version, "err", err)
	}
	mark := func(o *client.ContainerCreateOptions) { o.Config.Labels[lambda.LabelPrecreated] = "true" }
	id, _, err := d.create(ctx, spec, mark)
	if errors.Is(err, errNetworkGone) {
		d.forgetNetwork()
		id, _, err = d.create(ctx, spec, mark)
	}
	if errors.Is(err, errNetworkGone) {
		return "", lambda.Errorf(lambda.EUNAVAILABLE, "Docker network %q keeps disappearing: %v", d.network(), err)
	}
	return id, err
}

// createInHolder starts a holder and creates spec's container in its
// namespace; on failure neither is left.
func (d *Driver) createInHolder(ctx context.Context, spec lambda.InstanceSpec) (string, error) {
	netID, err := d.ensureNetwork(ctx)
	if err != nil {
		return "", err
	}
	name := containerName(spec)
	hname := holderName(name)
	defer d.busy(hname)()
	hid, ip, err := d.startHolder(ctx, spec, netID, hname)
	if errors.Is(err, errNetworkGone) {
		d.forgetNetwork()
	}
	if err != nil {
		return "", err
	}
	defer d.busy(hid)()
	opts := createOptions(spec, name, netID)
	if d.Namespace != "" {
		opts.Config.Labels[lambda.LabelServer] = d.Namespace
	}
	opts.Config.Labels[lambda.LabelPrecreated] = "true"
	inHolder(hid, ip)(&opts)
	created, err := d.createContainer(ctx, opts)
	if err != nil {
		d.removeHolderQuietly(ctx, hid)
		return "", d.wrap(err, "create container for %s v%d in network holder %s", spec.Function, spec.Version, shortID(hid))
	}
	d.spareHolders.Store(created.ID, hid)
	return created.ID, nil
}

// StartCreated starts a container CreateInstance made. One whose network
// went away since cannot be started (it names the old network), nor one
// whose holder is gone: it is removed, with its holder, and the error
// tells the caller to start a new one.
func (d *Driver) StartCreated(ctx context.Context, id string, spec lambda.InstanceSpec) (*lambda.Instance, error) {
	if id == "" {
		return nil, lambda.Errorf(lambda.EINVALID, "instance ID is empty")
	}
	holder := d.cachedHolder(id) // no inspect on a cold start's path
	if err := spec.Validate(); err != nil {
		d.removeQuietly(ctx, id)
		d.removeHolderQuietly(ctx, holder)
		return nil, err
	}
	netID, err := d.ensureNetwork(ctx)
	if err != nil {
		return nil, err
	}
	inst, err := d.run(ctx, id, netID, spec)
	if err != nil {
		d.removeHolderQuietly(ctx, holder) // run removed the container
		d.spareHolders.Delete(id)
	}
	if errors.Is(err, errNetworkGone) {
		d.forgetNetwork()
		return nil, lambda.Errorf(lambda.EUNAVAILABLE, "Docker network %q of pre-created container %s is gone", d.network(), shortID(id))
	}
	return inst, err
}

// removeHolderQuietly removes holder id ("" none) of a container given
// up on, even once ctx has ended, logging a failure.
func (d *Driver) removeHolderQuietly(ctx context.Context, id string) {
	if id == "" {
		return
	}
	defer d.busy(id)()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := d.removeHolder(ctx, id); err != nil {
		d.logger().Warn("docker: could not remove network holder", "id", id, "err", err)
	}
}
