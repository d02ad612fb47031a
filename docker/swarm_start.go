package docker

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// StartInstance creates the service of one instance and returns the
// address of its task on the overlay network once the task runs. A task
// that fails before it runs (an image no node can pull) or that no node
// may take (placement) removes the service and fails the start, rather
// than leave a request waiting for a task Swarm will never run.
func (s *Swarm) StartInstance(ctx context.Context, spec lambda.InstanceSpec) (*lambda.Instance, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	netID, err := s.ensureNetwork(ctx)
	if err != nil {
		return nil, err
	}
	sspec := serviceSpec(spec, containerName(spec), netID, s.d.Namespace, s.StopGrace)
	created, err := s.d.cli.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: sspec, EncodedRegistryAuth: emptyAuth})
	if err != nil {
		if cerrdefs.IsNotFound(err) && strings.Contains(err.Error(), "network") {
			s.forgetNetwork()
		}
		return nil, s.d.wrap(err, "create service for %s v%d", spec.Function, spec.Version)
	}
	inst, err := s.waitRunning(ctx, created.ID, spec, netID)
	if err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if _, rerr := s.d.cli.ServiceRemove(rctx, created.ID, client.ServiceRemoveOptions{}); rerr != nil && !cerrdefs.IsNotFound(rerr) {
			s.logger().Warn("swarm: could not remove the service of a failed start", "service", created.ID, "err", rerr)
		}
		return nil, err
	}
	return inst, nil
}

func (s *Swarm) forgetNetwork() {
	s.netMu.Lock()
	s.netID = ""
	s.netMu.Unlock()
}

// unschedulableGrace is how long a task may stay pending with "no
// suitable node" before the start fails: Swarm retries forever, and a
// node that is only restarting comes back within it.
const unschedulableGrace = 3 * time.Second

// waitRunning polls the service's task until it runs, fails or cannot be
// placed.
func (s *Swarm) waitRunning(ctx context.Context, id string, spec lambda.InstanceSpec, netID string) (*lambda.Instance, error) {
	var pendingSince time.Time
	poll := time.NewTicker(s.poll())
	defer poll.Stop()
	for {
		res, err := s.d.cli.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("service", id)})
		if err != nil {
			return nil, s.d.wrap(err, "list the task of %s v%d", spec.Function, spec.Version)
		}
		if t, ok := currentTask(res.Items); ok {
			switch st := t.Status.State; {
			case st == swarm.TaskStateRunning:
				addr := taskAddr(t, netID)
				if addr == "" {
					return nil, lambda.Errorf(lambda.EUNAVAILABLE, "the task of %s v%d runs with no address on network %q", spec.Function, spec.Version, s.network())
				}
				return &lambda.Instance{
					ID: id, Function: spec.Function, Version: spec.Version,
					Addr:    net.JoinHostPort(addr, strconv.Itoa(spec.Port)),
					Running: true, CreatedAt: t.CreatedAt,
				}, nil
			case terminal(st):
				return nil, taskFailure(spec, t)
			case st == swarm.TaskStatePending && strings.Contains(t.Status.Err, "no suitable node"):
				if pendingSince.IsZero() {
					pendingSince = time.Now()
				} else if time.Since(pendingSince) > unschedulableGrace {
					return nil, lambda.Errorf(lambda.EINVALID, "no node of the Swarm can run %s v%d: %s (placement %q)", spec.Function, spec.Version, t.Status.Err, spec.Placement)
				}
			default:
				pendingSince = time.Time{}
			}
		}
		select {
		case <-ctx.Done():
			return nil, s.d.wrap(ctx.Err(), "wait for the task of %s v%d", spec.Function, spec.Version)
		case <-poll.C:
		}
	}
}

func (s *Swarm) poll() time.Duration {
	if s.Poll <= 0 {
		return 250 * time.Millisecond
	}
	return s.Poll
}

// taskFailure explains a task that ended before it ran.
func taskFailure(spec lambda.InstanceSpec, t swarm.Task) error {
	msg := strings.TrimSpace(t.Status.Err + " " + t.Status.Message)
	lower := strings.ToLower(msg)
	for _, missing := range []string{"no such image", "manifest unknown", "not found", "pull access denied"} {
		if strings.Contains(lower, missing) {
			return lambda.Errorf(lambda.ENOTFOUND, "image %q of %s v%d not found on the node (%s): push it to a registry every node can pull from", spec.Image, spec.Function, spec.Version, msg)
		}
	}
	return lambda.Errorf(lambda.EUNAVAILABLE, "the task of %s v%d %s before it ran: %s", spec.Function, spec.Version, t.Status.State, msg)
}

// terminal reports whether a task in state st will never run again.
func terminal(st swarm.TaskState) bool {
	switch st {
	case swarm.TaskStateComplete, swarm.TaskStateShutdown, swarm.TaskStateFailed,
		swarm.TaskStateRejected, swarm.TaskStateRemove, swarm.TaskStateOrphaned:
		return true
	}
	return false
}

// currentTask is the newest of a one-replica service's tasks: with no
// restarts there is one, but a task history may hold older ones.
func currentTask(tasks []swarm.Task) (swarm.Task, bool) {
	var cur swarm.Task
	for _, t := range tasks {
		if cur.ID == "" || t.CreatedAt.After(cur.CreatedAt) {
			cur = t
		}
	}
	return cur, cur.ID != ""
}

// StopInstance removes the instance's service; Swarm stops its task after
// the grace given at creation (StopGrace). A missing service is not an
// error.
func (s *Swarm) StopInstance(ctx context.Context, id string, _ time.Duration) error {
	if id == "" {
		return lambda.Errorf(lambda.EINVALID, "instance ID is empty")
	}
	_, err := s.d.cli.ServiceRemove(ctx, id, client.ServiceRemoveOptions{})
	if err == nil || cerrdefs.IsNotFound(err) {
		return nil
	}
	return s.d.wrap(err, "remove service %s", id)
}

// PauseInstance is not offered on Swarm: the manager reaches no node's
// cgroup freezer.
func (s *Swarm) PauseInstance(ctx context.Context, id string) error {
	return lambda.Errorf(lambda.ENOTIMPLEMENTED, "instances cannot be paused on the Swarm backend (instance %s)", id)
}

// UnpauseInstance has nothing to thaw on Swarm: no instance is paused.
func (s *Swarm) UnpauseInstance(ctx context.Context, id string) error { return nil }
