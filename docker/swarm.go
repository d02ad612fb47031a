package docker

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// DefaultSwarmNetwork is the attachable overlay network function services
// join; the server reaches their tasks on it.
const DefaultSwarmNetwork = "lambda-swarm"

var _ lambda.InstanceDriver = (*Swarm)(nil)

// Swarm runs each function instance as a Swarm service of one replica on
// a Docker Swarm cluster, through a manager's API. The pool stays in
// charge: a service never restarts its task, and stopping an instance
// removes exactly its service, so Swarm never chooses which instance goes.
// Instances are reached at their tasks' addresses on an attachable overlay
// network (endpoint mode dnsrr), never through a virtual IP or the routing
// mesh, which need IPVS.
type Swarm struct {
	// Network is the attachable overlay network (created on first use).
	Network string
	// Poll is how often task states are read, while an instance starts
	// and to learn of exits and lost nodes.
	Poll time.Duration
	// StopGrace is given to every service at creation: Swarm stops the
	// task of a removed service after the grace its spec holds.
	StopGrace time.Duration
	// SelfBinary and Registry make the image of the job that removes
	// images from the nodes (RemoveFromNodes): the platform's own static
	// executable, pushed to the registry every node pulls from. Either
	// empty: RemoveFromNodes refuses.
	SelfBinary string
	Registry   string

	d     *Driver // the manager's client, labels and error mapping
	netMu sync.Mutex
	netID string
	// placing holds a lock per function (swarm_start.go).
	placing sync.Map
	// sweepMu guards sweepRef, the pushed node-sweep image once made
	// (swarm_node_image.go).
	sweepMu  sync.Mutex
	sweepRef string
}

// NewSwarm returns a Swarm instance driver speaking through d's client,
// which must reach a Swarm manager (CheckManager tells).
func NewSwarm(d *Driver) *Swarm {
	return &Swarm{Network: DefaultSwarmNetwork, Poll: 250 * time.Millisecond, StopGrace: 5 * time.Second, d: d}
}

// Ping checks that the manager's engine answers.
func (s *Swarm) Ping(ctx context.Context) error { return s.d.Ping(ctx) }

// CheckManager refuses an engine that is not a Swarm manager: a worker or
// a standalone engine cannot create services.
func (s *Swarm) CheckManager(ctx context.Context) error {
	if err := s.d.Ping(ctx); err != nil {
		return err
	}
	res, err := s.d.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return s.d.wrap(err, "read Docker's info")
	}
	info := res.Info.Swarm
	switch {
	case info.LocalNodeState != swarm.LocalNodeStateActive:
		return lambda.Errorf(lambda.EINVALID, "--backend swarm: Docker at %s is not part of a Swarm (state %q): run `docker swarm init` there, or point DOCKER_HOST at a Swarm manager", s.d.Host(), cmp.Or(string(info.LocalNodeState), "inactive"))
	case !info.ControlAvailable:
		return lambda.Errorf(lambda.EINVALID, "--backend swarm: Docker at %s is a Swarm worker, not a manager: point DOCKER_HOST at a manager (docker node ls there lists them)", s.d.Host())
	}
	return nil
}

func (s *Swarm) logger() *slog.Logger { return s.d.logger() }

func (s *Swarm) network() string {
	if s.Network == "" {
		return DefaultSwarmNetwork
	}
	return s.Network
}

// ensureNetwork returns the ID of the overlay network, creating it
// attachable when it does not exist. An existing network of that name
// that is not an attachable overlay is refused: the server could not
// join it.
func (s *Swarm) ensureNetwork(ctx context.Context) (string, error) {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	if s.netID != "" {
		return s.netID, nil
	}
	name := s.network()
	res, err := s.d.cli.NetworkInspect(ctx, name, client.NetworkInspectOptions{Scope: "swarm"})
	switch {
	case err == nil:
		n := res.Network
		if n.Driver != "overlay" || !n.Attachable {
			return "", lambda.Errorf(lambda.EINVALID, "network %q is not an attachable overlay network (driver %s, attachable %v): name another with --swarm-network", name, n.Driver, n.Attachable)
		}
		s.netID = n.ID
		return n.ID, nil
	case !cerrdefs.IsNotFound(err):
		return "", s.d.wrap(err, "inspect network %q", name)
	}
	created, err := s.d.cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{
		Driver:     "overlay",
		Scope:      "swarm",
		Attachable: true,
		Labels:     map[string]string{lambda.LabelManaged: "true"},
	})
	if err != nil {
		return "", s.d.wrap(err, "create overlay network %q", name)
	}
	s.logger().Info("swarm: network created", "network", name, "id", created.ID)
	s.netID = created.ID
	return created.ID, nil
}

// taskAddr is the task's address on the network netID, or "".
func taskAddr(t swarm.Task, netID string) string {
	for _, att := range t.NetworksAttachments {
		if att.Network.ID != netID {
			continue
		}
		for _, p := range att.Addresses {
			if p.IsValid() {
				return p.Addr().String()
			}
		}
	}
	return ""
}
