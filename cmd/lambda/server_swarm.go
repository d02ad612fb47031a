package main

import (
	"context"
	"os"
	"regexp"
	"time"

	"github.com/spf13/pflag"

	"github.com/lambdahq/lambda/docker"
	"github.com/lambdahq/lambda/registry"
)

// swarmOptions choose where instances run: the local engine, or a Docker
// Swarm cluster whose manager DOCKER_HOST names (docs/scale-out.md).
type swarmOptions struct {
	backend  string // local or swarm
	registry string // HOST:PORT every node pulls from
	network  string // the attachable overlay network
}

func (o *swarmOptions) register(f *pflag.FlagSet) {
	o.backend = envOr("LAMBDA_BACKEND", "local")
	o.registry = os.Getenv("LAMBDA_REGISTRY")
	o.network = envOr("LAMBDA_SWARM_NETWORK", docker.DefaultSwarmNetwork)
	f.StringVar(&o.backend, "backend", o.backend, "where instances run: local (containers on DOCKER_HOST's engine) or swarm (services of the Swarm whose manager DOCKER_HOST is; needs --registry) (env LAMBDA_BACKEND)")
	f.StringVar(&o.registry, "registry", o.registry, "swarm: the registry (HOST:PORT) versions' images are pushed to and every node pulls from (env LAMBDA_REGISTRY)")
	f.StringVar(&o.network, "swarm-network", o.network, "swarm: the attachable overlay network instances join, created if missing; the server must reach its addresses (env LAMBDA_SWARM_NETWORK)")
}

// registryRe is a registry host with an optional port, as the first part
// of an image reference.
var registryRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.\-]*[A-Za-z0-9])?(:[0-9]{1,5})?$`)

// check refuses inconsistent options before anything is opened.
func (o swarmOptions) check() error {
	switch o.backend {
	case "local":
		if o.registry != "" {
			return usageErrorf("--registry is for --backend swarm: the local backend runs the images where it builds them")
		}
		return nil
	case "swarm":
	default:
		return usageErrorf("--backend %q is invalid: use local or swarm", o.backend)
	}
	switch {
	case o.registry == "":
		return usageErrorf("--backend swarm needs --registry HOST:PORT: the nodes pull the functions' images from it (scripts/swarm-cluster.sh runs one; docs/scale-out.md)")
	case !registryRe.MatchString(o.registry):
		return usageErrorf("--registry %q is invalid: want HOST or HOST:PORT, e.g. 192.168.240.11:5000", o.registry)
	case o.network == "":
		return usageErrorf("--swarm-network is empty")
	}
	return nil
}

// checkManager refuses, at start, an engine that is not a Swarm manager.
func (o swarmOptions) checkManager(ctx context.Context) error {
	if o.backend != "swarm" {
		return nil
	}
	d, err := docker.New()
	if err != nil {
		return err
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return docker.NewSwarm(d).CheckManager(ctx)
}

// wireSwarm runs the engine's instances as Swarm services: images are
// still built by the manager's engine (p.driver), then pushed. Paused
// standby and pre-initialized instances are local features: the manager
// reaches no node's cgroups, so none is kept.
func (p *platform) wireSwarm(o platformOptions) {
	if o.swarm.backend != "swarm" {
		return
	}
	sw := docker.NewSwarm(p.driver)
	sw.Network, sw.StopGrace = o.swarm.network, p.eng.StopGrace
	p.eng.Driver, p.eng.Registry = sw, o.swarm.registry
	p.eng.Pushed = registry.New() // what deletes and prunes leave behind goes from the registry too
	p.wireNodeImages(o, sw)       // and from the nodes that pulled it
	p.eng.StandbyMemory = 0
	p.srv.Cluster = sw.Nodes
}

// wireNodeImages lets the engine remove deleted images from the nodes
// that pulled them, by a job running this binary on each node (lambda
// node-sweep), which needs it static: it runs alone in a FROM scratch
// image. Otherwise the server says at start that the nodes keep them.
func (p *platform) wireNodeImages(o platformOptions, sw *docker.Swarm) {
	self, err := os.Executable()
	if err == nil {
		err = docker.CheckStaticBinary(self)
	}
	if err != nil {
		o.logger.Warn("swarm: deleted images will stay on the nodes that pulled them", "err", err)
		return
	}
	sw.SelfBinary, sw.Registry = self, o.swarm.registry
	p.eng.NodeImages = sw
}
