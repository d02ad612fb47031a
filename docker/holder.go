package docker

import (
	"context"
	"errors"
	"strconv"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// Network holders. Most of a container's start is Docker creating its
// network namespace (docs/performance.md, "What the start costs"), and a
// container that joins a namespace that exists already starts in half the
// time. So a pre-created container (container_precreate.go) gets a holder:
// a tiny container started ahead on the instances' network, whose only
// job is to own a network namespace. The spare is created in it
// (NetworkMode container:HOLDER), so its start joins the namespace rather
// than making one, and the instance's address is the holder's.
//
// A holder belongs to one spare, then to the instance the spare becomes:
// it is removed right after its instance's container (StopInstance), and
// a holder that dies kills its instance (holderDied). ListInstances does
// not list a holder that serves a container; one that serves none, and
// that the driver is not creating or removing, is listed as a stopped
// container of its function, so that a restarted server's reconcile and
// a function's delete remove what a killed server left, as they remove
// every other container that does not run.
//
// Everything about holders stays in the driver: the engine sees a spare
// and an instance as before.

const (
	// labelHolder marks a holder ("true").
	labelHolder = "lambda.holder"
	// labelHolderID, on a container created in a holder's namespace, is
	// the holder's ID.
	labelHolderID = "lambda.holder.id"
	// labelHolderIP, on the same, is the holder's address on the network:
	// a container in another's namespace has no endpoint of its own.
	labelHolderIP = "lambda.holder.ip"
	// labelHolderFunction and labelHolderVersion, on a holder, name what
	// it was started for. Not lambda.function: what counts a function's
	// containers by that label (docker ps, the tests) counts instances.
	labelHolderFunction = "lambda.holder.function"
	labelHolderVersion  = "lambda.holder.version"
)

// Holder limits: it runs one process that sleeps.
const (
	holderMemory = 8 << 20 // Docker's minimum is 6 MB
	holderPids   = 4
)

// startHolder starts a holder for spec's spare on the network netID and
// returns its ID and address. The holder is marked busy under name until
// the caller calls holderSettled, so ListInstances does not take it for
// a leftover before its spare exists.
func (d *Driver) startHolder(ctx context.Context, spec lambda.InstanceSpec, netID, name string) (id, ip string, err error) {
	image, err := d.ensureHolderImage(ctx)
	if err != nil {
		return "", "", err
	}
	pids := int64(holderPids)
	opts := client.ContainerCreateOptions{
		Name: name,
		Config: &container.Config{
			Image: image,
			User:  containerUser,
			Labels: map[string]string{
				lambda.LabelManaged: "true",
				labelHolder:         "true",
				labelHolderFunction: spec.Function,
				labelHolderVersion:  strconv.Itoa(spec.Version),
			},
		},
		HostConfig: &container.HostConfig{
			NetworkMode:    container.NetworkMode(netID),
			RestartPolicy:  container.RestartPolicy{Name: container.RestartPolicyDisabled},
			CapDrop:        []string{"ALL"},
			SecurityOpt:    []string{"no-new-privileges"},
			ReadonlyRootfs: true,
			LogConfig:      container.LogConfig{Type: "none"},
			Resources: container.Resources{
				Memory:     holderMemory,
				MemorySwap: holderMemory,
				PidsLimit:  &pids,
			},
		},
		NetworkingConfig: &network.NetworkingConfig{
			EndpointsConfig: map[string]*network.EndpointSettings{netID: {}},
		},
	}
	if d.Namespace != "" {
		opts.Config.Labels[lambda.LabelServer] = d.Namespace
	}
	created, err := d.createContainer(ctx, opts)
	switch {
	case isNetworkNotFound(err):
		return "", "", errNetworkGone
	case err != nil:
		return "", "", d.wrap(err, "create network holder for %s v%d", spec.Function, spec.Version)
	}
	if _, err := d.cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		d.removeQuietly(ctx, created.ID)
		if isNetworkNotFound(err) {
			return "", "", errNetworkGone
		}
		return "", "", d.wrap(err, "start network holder for %s v%d", spec.Function, spec.Version)
	}
	res, err := d.cli.ContainerInspect(ctx, created.ID, client.ContainerInspectOptions{})
	if err != nil {
		d.removeQuietly(ctx, created.ID)
		return "", "", d.wrap(err, "inspect network holder %s", shortID(created.ID))
	}
	ip = endpointIP(res.Container.NetworkSettings, d.network(), netID)
	if ip == "" || res.Container.State == nil || !res.Container.State.Running {
		d.removeQuietly(ctx, created.ID)
		return "", "", errors.New("network holder exited right after its start")
	}
	return created.ID, ip, nil
}

// inHolder makes a container's create options join holder id's network
// namespace. Docker refuses an endpoint, a hostname, DNS options or
// exposed ports beside container: mode, and the platform sets none but
// the endpoint. The container gets the holder's hostname (its short ID),
// /etc/hosts and resolv.conf (the network's DNS, as any instance).
func inHolder(id, ip string) func(*client.ContainerCreateOptions) {
	return func(o *client.ContainerCreateOptions) {
		o.HostConfig.NetworkMode = container.NetworkMode("container:" + id)
		o.NetworkingConfig = nil
		o.Config.Labels[labelHolderID] = id
		o.Config.Labels[labelHolderIP] = ip
	}
}

// holderName is the name of the holder of the container named name.
func holderName(name string) string { return name + "-net" }

// cachedHolder returns the holder of spare id when this driver created
// it ("" else).
func (d *Driver) cachedHolder(id string) string {
	if h, ok := d.spareHolders.Load(id); ok {
		return h.(string)
	}
	return ""
}

// holderOf returns the ID of the holder whose namespace container id is
// in ("" none, or id is gone), and whether id is a holder itself.
func (d *Driver) holderOf(ctx context.Context, id string) (holder string, self bool) {
	if h := d.cachedHolder(id); h != "" {
		return h, false
	}
	res, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil || res.Container.Config == nil {
		return "", false
	}
	l := res.Container.Config.Labels
	return l[labelHolderID], l[labelHolder] == "true"
}

// removeHolder removes holder id, its container gone, by SIGKILL: it has
// nothing to end gracefully.
func (d *Driver) removeHolder(ctx context.Context, id string) error {
	_, err := d.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	switch {
	case err == nil, cerrdefs.IsNotFound(err):
		return nil
	case cerrdefs.IsConflict(err) && strings.Contains(err.Error(), "already in progress"):
		return nil
	}
	return d.wrap(err, "remove network holder %s", shortID(id))
}

// busy marks a holder (by name or ID) as being created or removed;
// ListInstances does not list it as a leftover meanwhile.
func (d *Driver) busy(key string) func() {
	d.busyHolders.Store(key, struct{}{})
	return func() { d.busyHolders.Delete(key) }
}

func (d *Driver) isBusy(c container.Summary) bool {
	if _, ok := d.busyHolders.Load(c.ID); ok {
		return true
	}
	for _, n := range c.Names {
		if _, ok := d.busyHolders.Load(strings.TrimPrefix(n, "/")); ok {
			return true
		}
	}
	return false
}

// holderDied answers a holder's exit: the instance in its namespace lost
// its network (Docker tears the holder's endpoint down), so it is killed
// and reported as exited. A spare in it is left to its start, which then
// fails and is replaced by a regular create.
func (d *Driver) holderDied(ctx context.Context, holder string) []lambda.Exit {
	res, err := d.cli.ContainerList(ctx, client.ContainerListOptions{
		Filters: d.managedFilters().Add("label", labelHolderID+"="+holder),
	})
	if err != nil {
		d.logger().Warn("docker: cannot find the instance of a network holder that exited", "holder", shortID(holder), "err", err)
		return nil
	}
	var exits []lambda.Exit
	for _, c := range res.Items {
		d.logger().Warn("docker: network holder exited; killing its instance", "holder", shortID(holder), "container", shortID(c.ID), "function", c.Labels[lambda.LabelFunction])
		if _, err := d.cli.ContainerKill(ctx, c.ID, client.ContainerKillOptions{Signal: "KILL"}); err != nil && !cerrdefs.IsNotFound(err) {
			d.logger().Warn("docker: cannot kill the instance of a dead network holder", "container", shortID(c.ID), "err", err)
		}
		exits = append(exits, lambda.Exit{ID: c.ID, ExitCode: -1})
	}
	return exits
}

// NetworkHolder returns the holder whose network namespace container id
// is in and the holder's address ("", "": none). The driver test suite
// and the e2e tests check holders with it.
func (d *Driver) NetworkHolder(ctx context.Context, id string) (holder, ip string, err error) {
	res, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	switch {
	case cerrdefs.IsNotFound(err):
		return "", "", lambda.Errorf(lambda.ENOTFOUND, "instance %s not found", id)
	case err != nil:
		return "", "", d.wrap(err, "inspect container %s", shortID(id))
	case res.Container.Config == nil:
		return "", "", nil
	}
	l := res.Container.Config.Labels
	return l[labelHolderID], l[labelHolderIP], nil
}

// NetworkHolders lists the IDs of this driver's holders (its namespace's),
// whatever they serve. An engine that cannot run holders answers
// ENOTIMPLEMENTED.
func (d *Driver) NetworkHolders(ctx context.Context) ([]string, error) {
	if _, err := d.ensureHolderImage(ctx); errors.Is(err, errNoHolders) {
		return nil, lambda.Errorf(lambda.ENOTIMPLEMENTED, "%v", err)
	}
	res, err := d.cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: d.managedFilters().Add("label", labelHolder+"=true"),
	})
	if err != nil {
		return nil, d.wrap(err, "list network holders")
	}
	ids := make([]string, 0, len(res.Items))
	for _, c := range res.Items {
		ids = append(ids, c.ID)
	}
	return ids, nil
}
