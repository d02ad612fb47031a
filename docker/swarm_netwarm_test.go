package docker

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/moby/moby/api/types/swarm"
)

// TestColdNodes: a start with nothing to spread avoids the ready nodes
// where no task runs on the network, only when some node has one.
func TestColdNodes(t *testing.T) {
	node := func(id string, st swarm.NodeState) swarm.Node {
		return swarm.Node{ID: id, Status: swarm.NodeStatus{State: st}, Spec: swarm.NodeSpec{Availability: swarm.NodeAvailabilityActive}}
	}
	on := func(nodeID, netID string) swarm.Task {
		return swarm.Task{NodeID: nodeID, NetworksAttachments: []swarm.NetworkAttachment{{
			Network: swarm.Network{ID: netID}, Addresses: []netip.Prefix{netip.MustParsePrefix("10.0.0.5/24")},
		}}}
	}
	ready := []swarm.Node{node("n1", swarm.NodeStateReady), node("n2", swarm.NodeStateReady), node("n3", swarm.NodeStateReady)}
	for _, tc := range []struct {
		name  string
		nodes []swarm.Node
		tasks []swarm.Task
		want  []string
	}{
		{"nothing on the network: no preference", ready, []swarm.Task{on("n1", "other")}, nil},
		{"one node has it", ready, []swarm.Task{on("n2", "net")}, []string{"n1", "n3"}},
		{"every node has it", ready, []swarm.Task{on("n1", "net"), on("n2", "net"), on("n3", "net")}, nil},
		{"a down node is not avoided", []swarm.Node{node("n1", swarm.NodeStateReady), node("n2", swarm.NodeStateDown)}, []swarm.Task{on("n1", "net")}, nil},
		{"an unassigned task warms no node", ready, []swarm.Task{on("", "net"), on("n3", "net")}, []string{"n1", "n2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := coldNodes(tc.nodes, tc.tasks, "net"); !slices.Equal(got, tc.want) {
				t.Errorf("coldNodes = %v, want %v", got, tc.want)
			}
		})
	}
}
