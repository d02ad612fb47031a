package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
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
	// A function's starts choose their nodes one at a time: starts at
	// once (min instances, a burst) would all see the same counts and go
	// to the same node. The lock is held until Swarm assigned the task.
	unlock := s.lockPlacement(spec.Function)
	defer unlock()
	avoid, err := s.crowdedNodes(ctx, spec.Function)
	if err == nil && len(avoid) == 0 {
		// Nothing to spread: a node where the network is up starts sooner.
		avoid, err = s.coldNetworkNodes(ctx, netID)
	}
	if err != nil {
		return nil, err
	}
	if len(avoid) > 0 {
		inst, err := s.start(ctx, spec, netID, avoid, unlock)
		if !errors.Is(err, errUnschedulable) {
			return inst, err
		}
		// Only the avoided nodes meet the function's constraints.
	}
	inst, err := s.start(ctx, spec, netID, nil, unlock)
	if errors.Is(err, errUnschedulable) {
		err = lambda.Errorf(lambda.EINVALID, "no node of the Swarm can run %s v%d: %v (placement %q)", spec.Function, spec.Version, err, spec.Placement)
	}
	return inst, err
}

// errUnschedulable marks a task Swarm keeps pending for want of a node.
var errUnschedulable = errors.New("no suitable node")

// start creates the service of spec, kept off the nodes of avoid, and
// waits for its task to run; on failure the service is removed.
func (s *Swarm) start(ctx context.Context, spec lambda.InstanceSpec, netID string, avoid []string, assigned func()) (*lambda.Instance, error) {
	sspec := serviceSpec(spec, containerName(spec), netID, s.d.Namespace, s.StopGrace)
	for _, id := range avoid {
		sspec.TaskTemplate.Placement.Constraints = append(sspec.TaskTemplate.Placement.Constraints, "node.id!="+id)
	}
	grace := unschedulableGrace
	if len(avoid) > 0 {
		grace = 0 // a preference: give it up at once
	}
	created, err := s.d.cli.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: sspec, EncodedRegistryAuth: emptyAuth})
	if err != nil {
		if cerrdefs.IsNotFound(err) && strings.Contains(err.Error(), "network") {
			s.forgetNetwork()
		}
		return nil, s.d.wrap(err, "create service for %s v%d", spec.Function, spec.Version)
	}
	inst, err := s.waitRunning(ctx, created.ID, spec, netID, grace, assigned)
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
// placed: every startPoll until Swarm assigned it a node (the function's
// next start waits for that, see lockPlacement), then every runningPoll.
// It does not dial the task's address before the manager reports it
// running: a SYN sent before the task's endpoint exists on the overlay
// leaves the server's neighbour entry for that address unresolved, and the
// kernel asks again only a second later (retrans_time), so the first
// connection came up to 1 s after the task ran (1.04-2.05 s against
// 0.56-1.23 s on the test cluster at load 4).
func (s *Swarm) waitRunning(ctx context.Context, id string, spec lambda.InstanceSpec, netID string, grace time.Duration, assigned func()) (*lambda.Instance, error) {
	var pendingSince time.Time
	placed := false
	for {
		res, err := s.d.cli.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("service", id)})
		if err != nil {
			return nil, s.d.wrap(err, "list the task of %s v%d", spec.Function, spec.Version)
		}
		if t, ok := currentTask(res.Items); ok {
			if t.NodeID != "" {
				placed = true
				assigned()
			}
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
				}
				if time.Since(pendingSince) >= grace {
					return nil, fmt.Errorf("%w (%s)", errUnschedulable, strings.TrimPrefix(t.Status.Err, "no suitable node "))
				}
			default:
				pendingSince = time.Time{}
			}
		}
		wait := min(s.poll(), runningPoll)
		if !placed {
			wait = min(wait, startPoll)
		}
		select {
		case <-ctx.Done():
			return nil, s.d.wrap(ctx.Err(), "wait for the task of %s v%d", spec.Function, spec.Version)
		case <-time.After(wait):
		}
	}
}

// startPoll is how often a starting task's state is read until it has a
// node: Swarm assigns one in about 50 ms.
const startPoll = 20 * time.Millisecond

// runningPoll is how often it is read after, until the task runs: the
// manager learns that from the node's report, and a start waited for the
// next 250 ms poll after it (a 1.3 s start landed on 1.27 or 1.52 s). A
// listing is a read of the manager's memory; nine starts at once make
// under 200 a second.
const runningPoll = 50 * time.Millisecond

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

// StopInstance scales the instance's service to zero, waits (within its
// grace and stopTimeout more) until its task no longer runs, and removes
// the service: removal alone returns at once while the container still
// runs, and the image it uses could not be removed after it. A missing
// service is not an error.
func (s *Swarm) StopInstance(ctx context.Context, id string, _ time.Duration) error {
	if id == "" {
		return lambda.Errorf(lambda.EINVALID, "instance ID is empty")
	}
	res, err := s.d.cli.ServiceInspect(ctx, id, client.ServiceInspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return s.d.wrap(err, "inspect service %s", id)
	}
	spec := res.Service.Spec
	if r := spec.Mode.Replicated; r != nil && r.Replicas != nil && *r.Replicas > 0 {
		zero := uint64(0)
		spec.Mode.Replicated = &swarm.ReplicatedService{Replicas: &zero}
		if _, err := s.d.cli.ServiceUpdate(ctx, id, client.ServiceUpdateOptions{Version: res.Service.Version, Spec: spec}); err == nil {
			s.waitStopped(ctx, id, s.StopGrace+stopTimeout)
		} else if !cerrdefs.IsNotFound(err) {
			s.logger().Debug("swarm: scaling to zero failed; removing the service", "service", id, "err", err)
		}
	}
	_, err = s.d.cli.ServiceRemove(ctx, id, client.ServiceRemoveOptions{})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return s.d.wrap(err, "remove service %s", id)
	}
	s.waitRemoved(ctx, id)
	return nil
}

// waitRemoved waits, at most stopTimeout, until the manager's engine holds
// no container of the removed service: its agent removes them shortly
// after, and until then the image they use cannot be removed there.
func (s *Swarm) waitRemoved(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(ctx, stopTimeout)
	defer cancel()
	f := make(client.Filters).Add("label", "com.docker.swarm.service.id="+id)
	for {
		res, err := s.d.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
		if err != nil || len(res.Items) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.poll()):
		}
	}
}

// stopTimeout bounds the wait for a stopped task past its grace: a task
// on a lost node never reports.
const stopTimeout = 10 * time.Second

// waitStopped waits until none of the service's tasks runs, at most limit.
func (s *Swarm) waitStopped(ctx context.Context, id string, limit time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	poll := time.NewTicker(s.poll())
	defer poll.Stop()
	for {
		res, err := s.d.cli.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("service", id)})
		if err != nil {
			return
		}
		running := false
		for _, t := range res.Items {
			running = running || (!terminal(t.Status.State) && t.Status.State != swarm.TaskStateNew && t.Status.State != swarm.TaskStatePending)
		}
		if !running {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		}
	}
}

// PauseInstance is not offered on Swarm: the manager reaches no node's
// cgroup freezer.
func (s *Swarm) PauseInstance(ctx context.Context, id string) error {
	return lambda.Errorf(lambda.ENOTIMPLEMENTED, "instances cannot be paused on the Swarm backend (instance %s)", id)
}

// UnpauseInstance has nothing to thaw on Swarm: no instance is paused.
func (s *Swarm) UnpauseInstance(ctx context.Context, id string) error { return nil }

// lockPlacement takes function's placement lock and returns its unlock,
// which may be called more than once.
func (s *Swarm) lockPlacement(function string) func() {
	v, _ := s.placing.LoadOrStore(function, new(sync.Mutex))
	mu := v.(*sync.Mutex)
	mu.Lock()
	var once sync.Once
	return func() { once.Do(mu.Unlock) }
}
