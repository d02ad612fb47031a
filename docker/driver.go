// Package docker implements lambda.Driver (a local engine that builds and
// runs) and a Swarm lambda.InstanceDriver with the Docker Engine API.
//
// The client negotiates the API version with the daemon, so an engine as old
// as API 1.40 works; the driver sticks to features that API 1.41 (Docker
// 20.10) offers. Every call that cannot reach the daemon returns
// lambda.EUNAVAILABLE, and nothing is cached about a failed daemon: the
// driver recovers by itself once Docker is back.
package docker

import (
	"context"
	"log/slog"
	"sync"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/client"
)

// DefaultNetwork is the bridge network function containers are attached to.
const DefaultNetwork = "lambda"

// InternalNetwork is the network of a server run with --functions-network
// none: internal, so functions have no route out, and named apart so that
// it never meets a server whose functions reach the internet.
const InternalNetwork = "lambda-internal"

// Defaults applied when an InstanceSpec leaves a limit at zero.
const (
	DefaultPidsLimit = 256
	DefaultCPUShares = 512
	nofileLimit      = 1024
	tmpfsOptions     = "size=64m,mode=1777"
	containerUser    = "1000:1000"
)

// labelPort records the function's port on the container, so ListInstances
// can rebuild the address of containers a previous server started.
const labelPort = "lambda.port"

var _ lambda.Driver = (*Driver)(nil)

// Driver runs function instances as hardened containers on one Docker engine.
type Driver struct {
	// Network is the dedicated bridge network (created on first use).
	Network string
	// Internal creates the network internal: Docker gives it no route
	// out, so functions reach only the host, which is how the gateway
	// reaches them.
	Internal bool
	Logger   *slog.Logger
	// Namespace, when set, labels every container this driver creates
	// (lambda.server) and limits listing and exit events to them.
	Namespace string
	// MaxInstances is how many instances one host runs at once, all
	// functions together (0: lambda.DefaultHostCapacity): the local
	// engine's capacity, and each node's on Swarm.
	MaxInstances int

	cli *client.Client

	netMu sync.Mutex
	netID string // cached once the network is known to exist
	// cache is held shared by builds and exclusively by image removals:
	// removing an image prunes its untagged parent layers, and the
	// classic builder fails when one is a layer it is reusing from its
	// cache at that moment (buildCacheRaces).
	cache sync.RWMutex

	// Network holders (holder.go): the holder image once known (or why
	// this engine cannot have one), the holder of each spare this driver
	// created, and the holders it is creating or removing.
	holderMu     sync.Mutex
	holderImage  string
	holderErr    error
	spareHolders sync.Map // spare container ID → holder ID
	busyHolders  sync.Map // holder name or ID → struct{}

	// stops runs the stops of containers one at a time
	// (container_stop_serial.go).
	stops stopTurns
}

// New returns a driver configured from the environment (DOCKER_HOST,
// DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, DOCKER_API_VERSION). It does no I/O,
// so it succeeds while Docker is down.
func New() (*Driver, error) {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "Docker client settings are invalid (check DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH): %v", err)
	}
	return &Driver{Network: DefaultNetwork, Logger: slog.Default(), cli: cli}, nil
}

// NewHost is New for the daemon at host (unix:///…, tcp://…), whatever
// DOCKER_HOST says: a cluster's manager beside the local engine.
func NewHost(host string) (*Driver, error) {
	cli, err := client.New(client.FromEnv, client.WithHost(host))
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "Docker client settings for %s are invalid: %v", host, err)
	}
	return &Driver{Network: DefaultNetwork, Logger: slog.Default(), cli: cli}, nil
}

// Close releases the client's idle connections.
func (d *Driver) Close() error { return d.cli.Close() }

// Host is the daemon address the driver talks to, e.g.
// unix:///var/run/docker.sock.
func (d *Driver) Host() string { return d.cli.DaemonHost() }

// Ping checks that the daemon answers, negotiating the API version if that
// has not succeeded yet.
func (d *Driver) Ping(ctx context.Context) error {
	_, err := d.cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return d.wrap(ctx.Err(), "ping Docker")
	}
	if isUnreachable(err) {
		return d.unreachable(err)
	}
	// The daemon answered but not usefully, e.g. with an API that is too old.
	return lambda.Errorf(lambda.EUNAVAILABLE, "Docker at %s does not answer properly: %s; Docker 19.03 (API 1.40) or later is needed", d.Host(), daemonMessage(err))
}

func (d *Driver) network() string {
	if d.Network == "" {
		return DefaultNetwork
	}
	return d.Network
}

func (d *Driver) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.Default()
	}
	return d.Logger
}

// managedFilters selects the containers this driver owns.
func (d *Driver) managedFilters() client.Filters {
	f := make(client.Filters).Add("label", lambda.LabelManaged+"=true")
	if d.Namespace != "" {
		f.Add("label", lambda.LabelServer+"="+d.Namespace)
	}
	return f
}
