package docker

import (
	"context"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/client"
)

// Capacity is the host's cap: one engine is one host, and the cap is
// configuration, so it needs no answer from the daemon.
func (d *Driver) Capacity(context.Context) (int, error) { return d.hostCapacity(), nil }

func (d *Driver) hostCapacity() int {
	if d.MaxInstances > 0 {
		return d.MaxInstances
	}
	return lambda.DefaultHostCapacity
}

// Capacity is the per-host cap times the nodes that take instances now
// (ready and active): a node that goes down, or is drained, takes its
// share with it until it is back.
func (s *Swarm) Capacity(ctx context.Context) (int, error) {
	res, err := s.d.cli.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return 0, s.d.wrap(err, "list nodes")
	}
	ready := 0
	for _, n := range res.Items {
		if nodeOf(n).Ready() {
			ready++
		}
	}
	return ready * s.d.hostCapacity(), nil
}
