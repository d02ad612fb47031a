package docker

import (
	"context"

	cerrdefs "github.com/containerd/errdefs"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// serviceTask is one instance as the manager knows it: its service, its
// current task and whether the node running that task is up.
type serviceTask struct {
	service swarm.Service
	task    swarm.Task // zero before the task is created
	nodeUp  bool
}

// alive reports whether the instance's task runs on a node that is up.
func (st serviceTask) alive() bool {
	return st.task.Status.State == swarm.TaskStateRunning && st.nodeUp
}

// maxServiceFilter bounds the service IDs of one task listing's filter,
// which travels in the URL.
const maxServiceFilter = 50

// instances lists the platform's services with their current tasks.
func (s *Swarm) instances(ctx context.Context) ([]serviceTask, error) {
	svcs, err := s.d.cli.ServiceList(ctx, client.ServiceListOptions{Filters: s.d.managedFilters()})
	if err != nil {
		return nil, s.d.wrap(err, "list services")
	}
	nodes, err := s.d.cli.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return nil, s.d.wrap(err, "list nodes")
	}
	up := make(map[string]bool, len(nodes.Items))
	for _, n := range nodes.Items {
		up[n.ID] = n.Status.State == swarm.NodeStateReady
	}
	// The jobs that remove images from the nodes are no instances.
	svcs.Items = slices.DeleteFunc(svcs.Items, isNodeSweep)
	ids := make([]string, 0, len(svcs.Items))
	for _, svc := range svcs.Items {
		ids = append(ids, svc.ID)
	}
	tasks, err := s.tasksOf(ctx, ids, "")
	if err != nil {
		return nil, err
	}
	byService := make(map[string][]swarm.Task, len(svcs.Items))
	for _, t := range tasks {
		byService[t.ServiceID] = append(byService[t.ServiceID], t)
	}
	out := make([]serviceTask, 0, len(svcs.Items))
	for _, svc := range svcs.Items {
		t, _ := currentTask(byService[svc.ID])
		out = append(out, serviceTask{service: svc, task: t, nodeUp: up[t.NodeID]})
	}
	return out, nil
}

// tasksOf lists the tasks of the services ids (in desired state, when
// set). A task listing filtered by a service removed since it was listed
// fails as a whole ("service not found"): the listing is then of every
// task, kept to ids.
func (s *Swarm) tasksOf(ctx context.Context, ids []string, desired string) ([]swarm.Task, error) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	base := func() client.Filters {
		f := make(client.Filters)
		if desired != "" {
			f.Add("desired-state", desired)
		}
		return f
	}
	var out []swarm.Task
	for start := 0; start < len(ids); start += maxServiceFilter {
		f := base()
		for _, id := range ids[start:min(start+maxServiceFilter, len(ids))] {
			f.Add("service", id)
		}
		res, err := s.d.cli.TaskList(ctx, client.TaskListOptions{Filters: f})
		if cerrdefs.IsNotFound(err) {
			out = nil
			res, err = s.d.cli.TaskList(ctx, client.TaskListOptions{Filters: base()})
			if err != nil {
				return nil, s.d.wrap(err, "list tasks")
			}
			for _, t := range res.Items {
				if want[t.ServiceID] {
					out = append(out, t)
				}
			}
			return out, nil
		}
		if err != nil {
			return nil, s.d.wrap(err, "list tasks")
		}
		out = append(out, res.Items...)
	}
	return out, nil
}

// ListInstances lists the platform's services as instances: Running while
// their task runs on a node that is up.
func (s *Swarm) ListInstances(ctx context.Context) ([]*lambda.Instance, error) {
	sts, err := s.instances(ctx)
	if err != nil {
		return nil, err
	}
	netID, _ := s.ensureNetwork(ctx) // a missing network leaves addresses empty
	out := make([]*lambda.Instance, 0, len(sts))
	for _, st := range sts {
		labels := st.service.Spec.Labels
		version, _ := strconv.Atoi(labels[lambda.LabelVersion])
		inst := &lambda.Instance{
			ID: st.service.ID, Function: labels[lambda.LabelFunction], Version: version,
			Running: st.alive(), CreatedAt: st.service.CreatedAt,
		}
		if addr := taskAddr(st.task, netID); addr != "" && labels[labelPort] != "" {
			inst.Addr = net.JoinHostPort(addr, labels[labelPort])
		}
		out = append(out, inst)
	}
	return out, nil
}

// WatchExits polls task and node states: an instance exits when its task
// ends (its exit code) or when the node that runs it goes down (-1: the
// process may still run there, cut off, and nothing must reach it). Each
// task's end is sent once per watch; a new watch sends the ends it finds
// again, as the contract allows.
func (s *Swarm) WatchExits(ctx context.Context) (<-chan lambda.Exit, error) {
	ch := make(chan lambda.Exit, 64)
	go func() {
		defer close(ch)
		sent := map[string]bool{} // task IDs whose end was sent
		poll := time.NewTicker(s.poll())
		defer poll.Stop()
		for {
			sts, err := s.instances(ctx)
			if err != nil && ctx.Err() == nil {
				s.logger().Debug("swarm: task states unreadable; retrying", "err", err)
			}
			seen := make(map[string]bool, len(sts))
			for _, st := range sts {
				t := st.task
				if t.ID == "" {
					continue
				}
				seen[t.ID] = true
				exit, ended := taskExit(st)
				if !ended || sent[t.ID] {
					continue
				}
				select {
				case ch <- exit:
					sent[t.ID] = true
				case <-ctx.Done():
					return
				}
			}
			for id := range sent {
				if !seen[id] && err == nil {
					delete(sent, id) // its service is gone: no repeat possible
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-poll.C:
			}
		}
	}()
	return ch, nil
}

// taskExit is how an instance ended, if it did: its task is terminal, or
// was running on a node that is no longer up.
func taskExit(st serviceTask) (lambda.Exit, bool) {
	t := st.task
	switch {
	case terminal(t.Status.State):
		code := -1
		if t.Status.ContainerStatus != nil && t.Status.State != swarm.TaskStateRejected {
			code = t.Status.ContainerStatus.ExitCode
		}
		return lambda.Exit{ID: st.service.ID, ExitCode: code}, true
	case t.Status.State == swarm.TaskStateRunning && !st.nodeUp:
		return lambda.Exit{ID: st.service.ID, ExitCode: -1}, true
	}
	return lambda.Exit{}, false
}
