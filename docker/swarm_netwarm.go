package docker

import (
	"context"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// coldNetworkNodes are the ready nodes where no task runs on the network
// netID, provided some ready node has one: a start with no instance to
// spread from avoids them. Swarm sets a network up on a node (VXLAN,
// bridge, namespace) while the first task on it there is "preparing", and
// takes it down when the last one leaves: 0.4-0.6 s more for a cold start
// on the test cluster (docs/scale-out.md).
func (s *Swarm) coldNetworkNodes(ctx context.Context, netID string) ([]string, error) {
	nodes, err := s.d.cli.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return nil, s.d.wrap(err, "list nodes")
	}
	tasks, err := s.d.cli.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("desired-state", "running")})
	if err != nil {
		return nil, s.d.wrap(err, "list tasks")
	}
	return coldNodes(nodes.Items, tasks.Items, netID), nil
}

func coldNodes(nodes []swarm.Node, running []swarm.Task, netID string) []string {
	warm := map[string]bool{}
	for _, t := range running {
		if t.NodeID != "" && taskAddr(t, netID) != "" {
			warm[t.NodeID] = true
		}
	}
	var cold []string
	anyWarm := false
	for _, n := range nodes {
		if n.Status.State != swarm.NodeStateReady || n.Spec.Availability != swarm.NodeAvailabilityActive {
			continue
		}
		if warm[n.ID] {
			anyWarm = true
		} else {
			cold = append(cold, n.ID)
		}
	}
	if !anyWarm {
		return nil
	}
	return cold
}
