package docker

import (
	"context"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// crowdedNodes are the ready nodes that run more of function's instances
// than the least loaded ready node: a new instance avoids them, so that a
// function's instances spread over the nodes (Swarm spreads the tasks of
// one service; each instance is a service of its own, so it would only
// weigh every task on a node, the registry's included). Spreading is a
// preference: when the function's own constraints leave only crowded
// nodes, the start is retried without it.
func (s *Swarm) crowdedNodes(ctx context.Context, function string) ([]string, error) {
	nodes, err := s.d.cli.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return nil, s.d.wrap(err, "list nodes")
	}
	count := map[string]int{}
	for _, n := range nodes.Items {
		if n.Status.State == swarm.NodeStateReady && n.Spec.Availability == swarm.NodeAvailabilityActive {
			count[n.ID] = 0
		}
	}
	if len(count) < 2 {
		return nil, nil
	}
	f := s.d.managedFilters().Add("label", lambda.LabelFunction+"="+function)
	svcs, err := s.d.cli.ServiceList(ctx, client.ServiceListOptions{Filters: f})
	if err != nil {
		return nil, s.d.wrap(err, "list services")
	}
	if len(svcs.Items) == 0 {
		return nil, nil
	}
	ids := make([]string, 0, len(svcs.Items))
	for _, svc := range svcs.Items {
		ids = append(ids, svc.ID)
	}
	tasks, err := s.tasksOf(ctx, ids, "running")
	if err != nil {
		return nil, err
	}
	for _, t := range tasks {
		if _, ready := count[t.NodeID]; ready {
			count[t.NodeID]++
		}
	}
	least := -1
	for _, c := range count {
		if least < 0 || c < least {
			least = c
		}
	}
	var crowded []string
	for id, c := range count {
		if c > least {
			crowded = append(crowded, id)
		}
	}
	return crowded, nil
}

// Nodes lists the cluster's nodes and their state, for /healthz.
func (s *Swarm) Nodes(ctx context.Context) ([]lambda.Node, error) {
	res, err := s.d.cli.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return nil, s.d.wrap(err, "list nodes")
	}
	out := make([]lambda.Node, 0, len(res.Items))
	for _, n := range res.Items {
		out = append(out, nodeOf(n))
	}
	return out, nil
}

func nodeOf(n swarm.Node) lambda.Node {
	return lambda.Node{
		ID: n.ID, Hostname: n.Description.Hostname, Role: string(n.Spec.Role),
		State: string(n.Status.State), Availability: string(n.Spec.Availability), Addr: n.Status.Addr,
		Leader: n.ManagerStatus != nil && n.ManagerStatus.Leader,
	}
}
