package docker

import (
	"context"
	"errors"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// cleanupTimeout bounds the removal of a container that failed to start,
// which runs even when the caller's context has ended.
const cleanupTimeout = 10 * time.Second

// StartInstance creates and starts a hardened container for spec on the
// dedicated network and returns its address there.
func (d *Driver) StartInstance(ctx context.Context, spec lambda.InstanceSpec) (*lambda.Instance, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	return d.startRetrying(ctx, spec, nil)
}

// startRetrying starts spec's container, its create options changed by
// edit when not nil, recreating the network once when it went away.
func (d *Driver) startRetrying(ctx context.Context, spec lambda.InstanceSpec, edit func(*client.ContainerCreateOptions)) (*lambda.Instance, error) {
	inst, err := d.start(ctx, spec, edit)
	if errors.Is(err, errNetworkGone) {
		// Someone removed the network since we cached its ID: recreate it.
		d.forgetNetwork()
		inst, err = d.start(ctx, spec, edit)
	}
	if errors.Is(err, errNetworkGone) {
		return nil, lambda.Errorf(lambda.EUNAVAILABLE, "Docker network %q keeps disappearing: %v", d.network(), err)
	}
	return inst, err
}

var errNetworkGone = errors.New("network not found")

func (d *Driver) start(ctx context.Context, spec lambda.InstanceSpec, edit func(*client.ContainerCreateOptions)) (*lambda.Instance, error) {
	id, netID, err := d.create(ctx, spec, edit)
	if err != nil {
		return nil, err
	}
	return d.run(ctx, id, netID, spec)
}

// create creates spec's container on the dedicated network and returns its
// ID and the network's.
func (d *Driver) create(ctx context.Context, spec lambda.InstanceSpec, edit func(*client.ContainerCreateOptions)) (id, netID string, err error) {
	netID, err = d.ensureNetwork(ctx)
	if err != nil {
		return "", "", err
	}
	opts := createOptions(spec, containerName(spec), netID)
	if d.Namespace != "" {
		opts.Config.Labels[lambda.LabelServer] = d.Namespace
	}
	if edit != nil {
		edit(&opts)
	}
	created, err := d.createContainer(ctx, opts)
	switch {
	case isNetworkNotFound(err):
		return "", "", errNetworkGone
	case cerrdefs.IsNotFound(err):
		return "", "", lambda.Errorf(lambda.ENOTFOUND, "image %q of %s v%d not found: build or pull it first", spec.Image, spec.Function, spec.Version)
	case err != nil:
		return "", "", d.wrap(err, "create container for %s v%d", spec.Function, spec.Version)
	}
	for _, w := range created.Warnings {
		d.logger().Debug("docker: container created with a warning", "id", created.ID, "warning", w)
	}
	return created.ID, netID, nil
}

// run starts the created container id of spec and returns it with its
// address on the network netID; on failure the container is removed.
func (d *Driver) run(ctx context.Context, id, netID string, spec lambda.InstanceSpec) (*lambda.Instance, error) {
	if _, err := d.cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		d.removeQuietly(ctx, id)
		switch {
		case isNetworkNotFound(err):
			return nil, errNetworkGone
		case isUnreachable(err), ctx.Err() != nil, cerrdefs.IsNotFound(err):
			return nil, d.wrap(err, "start container for %s v%d", spec.Function, spec.Version)
		}
		// The runtime could not run the image (missing entrypoint, bad
		// binary): the function's fault, not the platform's.
		return nil, lambda.Errorf(lambda.EFUNCTION, "%s v%d failed to start: %s", spec.Function, spec.Version, daemonMessage(err))
	}
	res, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		d.removeQuietly(ctx, id)
		return nil, d.wrap(err, "inspect container %s", id)
	}
	c := res.Container
	ip := endpointIP(c.NetworkSettings, d.network(), netID)
	if c.HostConfig != nil && c.HostConfig.NetworkMode.IsContainer() && c.Config != nil {
		ip = c.Config.Labels[labelHolderIP] // in a holder's namespace (holder.go)
	}
	if ip == "" || c.State == nil || !c.State.Running {
		// Exited before we looked: the function crashed at once. Its log is
		// the only clue, so it goes into the error.
		logs, _ := d.InstanceLogs(ctx, id, 20)
		code := -1
		if c.State != nil {
			code = c.State.ExitCode
		}
		d.removeQuietly(ctx, id)
		return nil, lambda.Errorf(lambda.EFUNCTION, "%s v%d exited right after start (exit code %d); last output:\n%s", spec.Function, spec.Version, code, logs)
	}
	createdAt, _ := time.Parse(time.RFC3339Nano, c.Created)
	// A pre-created container was created long before it served: its
	// instance's age counts from its start.
	if started, err := time.Parse(time.RFC3339Nano, c.State.StartedAt); err == nil && started.After(createdAt) {
		createdAt = started
	}
	return &lambda.Instance{
		ID:        c.ID,
		Function:  spec.Function,
		Version:   spec.Version,
		Addr:      net.JoinHostPort(ip, strconv.Itoa(spec.Port)),
		Running:   true,
		CreatedAt: createdAt,
	}, nil
}

func isNetworkNotFound(err error) bool {
	return cerrdefs.IsNotFound(err) && strings.Contains(strings.ToLower(err.Error()), "network")
}

// endpointIP finds the container's address on the dedicated network, by ID
// first (names can be duplicated on Docker 20.10), then by name.
func endpointIP(ns *container.NetworkSettings, name, id string) string {
	if ns == nil {
		return ""
	}
	return pickIP(ns.Networks, name, id)
}

func pickIP(eps map[string]*network.EndpointSettings, name, id string) string {
	for _, ep := range eps {
		if ep != nil && id != "" && ep.NetworkID == id && ep.IPAddress.IsValid() {
			return ep.IPAddress.String()
		}
	}
	if ep := eps[name]; ep != nil && ep.IPAddress.IsValid() {
		return ep.IPAddress.String()
	}
	return ""
}

// removeQuietly force-removes a container we are giving up on, even if ctx
// has ended, logging rather than returning a failure.
func (d *Driver) removeQuietly(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_, err := d.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		d.logger().Warn("docker: could not remove failed container", "id", id, "err", err)
	}
}

// StopInstance asks the container to stop, kills it after grace, and
// removes it. A container that is already gone is not an error.
func (d *Driver) StopInstance(ctx context.Context, id string, grace time.Duration) error {
	if id == "" {
		return lambda.Errorf(lambda.EINVALID, "instance ID is empty")
	}
	release, err := d.stops.take(ctx) // container_stop_serial.go
	if err != nil {
		return d.wrap(err, "stop instance %s", id)
	}
	defer release()
	// Its holder, if any, goes once the container is gone (holder.go).
	holder, self := d.holderOf(ctx, id)
	if self {
		return d.removeHolder(ctx, id) // a leftover: nothing in it to stop gracefully
	}
	if holder != "" {
		defer d.busy(holder)() // not a leftover while its container goes
	}
	if err := d.stopAndRemove(ctx, id, grace); err != nil || holder == "" {
		return err
	}
	d.spareHolders.Delete(id)
	return d.removeHolder(ctx, holder)
}

func (d *Driver) stopAndRemove(ctx context.Context, id string, grace time.Duration) error {
	secs := int(math.Ceil(max(grace, 0).Seconds()))
	_, err := d.cli.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &secs})
	switch {
	case cerrdefs.IsNotFound(err):
		return nil
	case err != nil && (isUnreachable(err) || ctx.Err() != nil):
		return d.wrap(err, "stop instance %s", id)
	case err != nil:
		// Removal with force kills it anyway; say why in the log.
		d.logger().Warn("docker: stop failed, removing by force", "id", id, "err", err)
	}
	_, err = d.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	switch {
	case err == nil, cerrdefs.IsNotFound(err):
		return nil
	case cerrdefs.IsConflict(err) && strings.Contains(err.Error(), "already in progress"):
		return nil
	}
	return d.wrap(err, "remove instance %s", id)
}

// ListInstances lists the platform's containers, running or not.
func (d *Driver) ListInstances(ctx context.Context) ([]*lambda.Instance, error) {
	res, err := d.cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: d.managedFilters(),
	})
	if err != nil {
		return nil, d.wrap(err, "list instances")
	}
	netID := d.cachedNetwork()
	out := make([]*lambda.Instance, 0, len(res.Items))
	served := make(map[string]bool) // holders whose namespace a listed container is in
	for _, c := range res.Items {
		if h := c.Labels[labelHolderID]; h != "" {
			served[h] = true
		}
	}
	for _, c := range res.Items {
		if c.Labels[labelHolder] == "true" {
			if served[c.ID] || d.isBusy(c) {
				continue // part of its instance's container
			}
			// Serves nothing: a leftover, to be removed like a stopped
			// container of its function.
			v, _ := strconv.Atoi(c.Labels[labelHolderVersion])
			out = append(out, &lambda.Instance{ID: c.ID, Function: c.Labels[labelHolderFunction], Version: v, CreatedAt: time.Unix(c.Created, 0)})
			continue
		}
		inst := &lambda.Instance{
			ID:       c.ID,
			Function: c.Labels[lambda.LabelFunction],
			// A paused container still runs: its processes are frozen.
			Running:   c.State == container.StateRunning || c.State == container.StatePaused,
			Paused:    c.State == container.StatePaused,
			CreatedAt: time.Unix(c.Created, 0),
		}
		inst.Version, _ = strconv.Atoi(c.Labels[lambda.LabelVersion])
		if c.NetworkSettings != nil {
			if ip := pickIP(c.NetworkSettings.Networks, d.network(), netID); ip != "" && c.Labels[labelPort] != "" {
				inst.Addr = net.JoinHostPort(ip, c.Labels[labelPort])
			}
		}
		if ip := c.Labels[labelHolderIP]; ip != "" && inst.Running && c.Labels[labelPort] != "" {
			inst.Addr = net.JoinHostPort(ip, c.Labels[labelPort])
		}
		out = append(out, inst)
	}
	return out, nil
}
