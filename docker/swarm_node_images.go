package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

var _ lambda.NodeImages = (*Swarm)(nil)

// Labels of the job that removes images from the nodes: lambda.managed
// (and lambda.server) like every object of the platform, and a role that
// keeps it out of the instances.
const (
	labelRole     = "lambda.role"
	roleNodeSweep = "node-sweep"
)

// NodeIDEnv is the variable a node-sweep task reads its node's ID from:
// Swarm sets it from the template {{.Node.ID}} on each node.
const NodeIDEnv = "LAMBDA_NODE_ID"

// nodeSocket is the Docker socket mounted into a node-sweep task, the
// same path on the node and in the task (where the client looks by
// default).
const nodeSocket = "/var/run/docker.sock"

// nodeSweepLeftover is the age past which a node-sweep job found on the
// manager is a leftover (its server stopped during the wait) and removed:
// longer than any job is waited for, so another server's job in progress
// is never taken for one.
const nodeSweepLeftover = 10 * time.Minute

// RemoveFromNodes removes refs from every node's image store with one
// global job (Docker 20.10, API 1.41): a task on each node that runs the
// platform's own binary (nodeSweepImage) as "lambda node-sweep", which
// removes the references from its node's engine through the Docker socket
// mounted into it, after checking that this engine is its node's. It waits
// until every node that is up has run its task, within ctx, then removes
// the job. A node that is down keeps its copies: the error says so, as it
// says which node failed and what it printed.
func (s *Swarm) RemoveFromNodes(ctx context.Context, refs []string) error {
	if len(refs) == 0 {
		return nil
	}
	image, err := s.nodeSweepImage(ctx)
	if err != nil {
		return err
	}
	s.removeLeftoverSweeps(ctx)
	nodes, err := s.d.cli.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return s.d.wrap(err, "list nodes")
	}
	spec := nodeSweepSpec(image, refs, s.d.Namespace)
	created, err := s.d.cli.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: spec, EncodedRegistryAuth: emptyAuth})
	if err != nil {
		return s.d.wrap(err, "create the job that removes images from the nodes")
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if _, err := s.d.cli.ServiceRemove(rctx, created.ID, client.ServiceRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			s.logger().Warn("swarm: could not remove a node-sweep job; the next one removes it", "service", created.ID, "err", err)
		}
	}()
	tasks := s.waitJob(ctx, created.ID, nodes.Items)
	problems := sweepProblems(nodes.Items, tasks)
	if len(problems) == 0 {
		return nil
	}
	msg := strings.Join(problems, "; ")
	if out, err := s.InstanceLogs(ctx, created.ID, 40); err == nil && strings.TrimSpace(out) != "" {
		msg += "; the job printed:\n" + strings.TrimSpace(out)
	}
	return lambda.Errorf(lambda.EUNAVAILABLE, "images %s may be left on some nodes: %s", strings.Join(refs, ", "), msg)
}

// nodeSweepSpec is the global job that runs "lambda node-sweep" from
// image on every node, once, for refs. No placement constraint: every
// node may hold a copy. It runs as root (the socket is root's) with no
// capability and a read-only root, on none of the platform's networks (it
// talks to the socket only); it restarts nothing, so a task that fails
// stays failed and is reported.
func nodeSweepSpec(image string, refs []string, namespace string) swarm.ServiceSpec {
	labels := map[string]string{lambda.LabelManaged: "true", labelRole: roleNodeSweep}
	if namespace != "" {
		labels[lambda.LabelServer] = namespace
	}
	args := make([]string, 0, 2*len(refs))
	for _, ref := range refs {
		args = append(args, "--image", ref)
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	return swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: "lambda-node-sweep-" + hex.EncodeToString(suffix), Labels: labels},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{
				Image:          image,
				Labels:         labels,
				Command:        []string{"/lambda", "node-sweep"},
				Args:           args,
				Env:            []string{NodeIDEnv + "={{.Node.ID}}"},
				User:           "0:0",
				ReadOnly:       true,
				CapabilityDrop: []string{"ALL"},
				Mounts: []mount.Mount{{
					Type: mount.TypeBind, Source: nodeSocket, Target: nodeSocket,
				}},
			},
			Resources: &swarm.ResourceRequirements{
				Limits: &swarm.Limit{MemoryBytes: 256 << 20, Pids: 128},
			},
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionNone},
			LogDriver:     &swarm.Driver{Name: "json-file", Options: map[string]string{"max-size": "1m", "max-file": "1"}},
		},
		Mode: swarm.ServiceMode{GlobalJob: &swarm.GlobalJob{}},
	}
}

// waitJob polls the job's tasks until every node that was ready when it
// was created, and still is, has a task that ended, or until ctx ends; it
// returns the last tasks read.
func (s *Swarm) waitJob(ctx context.Context, id string, nodes []swarm.Node) []swarm.Task {
	poll := time.NewTicker(s.poll())
	defer poll.Stop()
	var tasks []swarm.Task
	for {
		res, err := s.d.cli.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("service", id)})
		if err == nil {
			tasks = res.Items
		}
		now, nerr := s.d.cli.NodeList(ctx, client.NodeListOptions{})
		if err == nil && nerr == nil && jobDone(nodes, now.Items, tasks) {
			return tasks
		}
		select {
		case <-ctx.Done():
			return tasks
		case <-poll.C:
		}
	}
}

// jobDone reports whether every node ready at the job's creation has a
// task that ended, or is no longer ready (it will not run one).
func jobDone(before, now []swarm.Node, tasks []swarm.Task) bool {
	ready := map[string]bool{}
	for _, n := range now {
		ready[n.ID] = nodeOf(n).Ready()
	}
	ended := map[string]bool{}
	for _, t := range tasks {
		if terminal(t.Status.State) {
			ended[t.NodeID] = true
		}
	}
	for _, n := range before {
		if nodeOf(n).Ready() && ready[n.ID] && !ended[n.ID] {
			return false
		}
	}
	return true
}

// sweepProblems names each node that may still hold the images: down or
// not taking tasks, with no task that completed, or with one that failed.
func sweepProblems(nodes []swarm.Node, tasks []swarm.Task) []string {
	byNode := map[string][]swarm.Task{}
	for _, t := range tasks {
		byNode[t.NodeID] = append(byNode[t.NodeID], t)
	}
	var out []string
	for _, n := range nodes {
		name := n.Description.Hostname
		if name == "" {
			name = n.ID
		}
		ts := byNode[n.ID]
		switch {
		case slices.ContainsFunc(ts, func(t swarm.Task) bool { return t.Status.State == swarm.TaskStateComplete }):
		case !nodeOf(n).Ready() && len(ts) == 0:
			out = append(out, fmt.Sprintf("node %s is %s/%s and keeps its copies", name, n.Status.State, n.Spec.Availability))
		case len(ts) == 0:
			out = append(out, fmt.Sprintf("node %s ran no task", name))
		default:
			t := ts[len(ts)-1]
			why := string(t.Status.State)
			if t.Status.ContainerStatus != nil && t.Status.ContainerStatus.ExitCode != 0 {
				why += fmt.Sprintf(" (exit %d)", t.Status.ContainerStatus.ExitCode)
			}
			if t.Status.Err != "" {
				why += ": " + t.Status.Err
			}
			out = append(out, fmt.Sprintf("node %s: task %s", name, why))
		}
	}
	return out
}

// removeLeftoverSweeps removes the node-sweep jobs of this server's
// namespace that are older than any job is waited for: a server stopped
// while it waited left them.
func (s *Swarm) removeLeftoverSweeps(ctx context.Context) {
	f := s.d.managedFilters().Add("label", labelRole+"="+roleNodeSweep)
	res, err := s.d.cli.ServiceList(ctx, client.ServiceListOptions{Filters: f})
	if err != nil {
		return
	}
	for _, svc := range res.Items {
		if time.Since(svc.CreatedAt) < nodeSweepLeftover {
			continue
		}
		if _, err := s.d.cli.ServiceRemove(ctx, svc.ID, client.ServiceRemoveOptions{}); err == nil {
			s.logger().Info("swarm: removed a leftover node-sweep job", "service", svc.ID, "created", svc.CreatedAt)
		}
	}
}

// isNodeSweep tells the node-sweep jobs from the instances' services.
func isNodeSweep(svc swarm.Service) bool { return svc.Spec.Labels[labelRole] == roleNodeSweep }
