package lambda

import (
	"context"
	"io"
	"time"
)

// Labels put on every container and image the platform creates, so that a
// restarted server finds (and re-adopts or removes) what it left behind.
const (
	LabelManaged  = "lambda.managed"
	LabelFunction = "lambda.function"
	LabelVersion  = "lambda.version"
	// LabelServer holds the namespace of the server that owns a container
	// or an image, so that several servers (or test runs) can share one
	// engine without reconciling away each other's.
	LabelServer = "lambda.server"
)

// DefaultHostCapacity is how many instances one host runs at once, all
// functions together, unless configured (lambda server --max-instances):
// what protects a machine from a flood of cold starts.
const DefaultHostCapacity = 200

// Driver is a container engine that both builds images and runs them: the
// local Docker engine. The docker package implements it with the Docker
// SDK; tests use a fake. Both pass the suite in drivertest.
type Driver interface {
	ImageBuilder
	InstanceDriver
}

// ImageBuilder is the engine that builds, stores and distributes function
// images. One Docker builder serves every backend: on Swarm it is the
// manager's engine, and PushImage makes its images runnable on every node.
type ImageBuilder interface {
	// Ping reports whether the engine answers; the error says how it was
	// reached (socket, DOCKER_HOST) so a user can fix it.
	Ping(ctx context.Context) error

	// BuildImage builds a Docker build context (a tar stream with a
	// Dockerfile at its root) and returns the image ID. Build output is
	// written to req.Output as plain text lines as it happens. A failing
	// build returns EINVALID carrying the tail of the log.
	BuildImage(ctx context.Context, req BuildRequest) (imageID string, err error)
	// ImageExists reports whether ref (a tag, an ID or a digest
	// reference) is present locally.
	ImageExists(ctx context.Context, ref string) (bool, error)
	// PullImage pulls ref from its registry, writing progress to out (may
	// be nil). EUNAVAILABLE when no registry answers.
	PullImage(ctx context.Context, ref string, out io.Writer) error
	// PushImage tags image (an ID or a tag) as ref (REGISTRY/NAME:TAG),
	// pushes it and returns the pushed digest reference
	// (REGISTRY/NAME@sha256:…), which every node of a cluster can pull.
	// EUNAVAILABLE when the registry does not answer.
	PushImage(ctx context.Context, image, ref string, out io.Writer) (string, error)
	// RemoveImage removes ref and its untagged parents; a missing image is
	// not an error.
	RemoveImage(ctx context.Context, ref string) error
}

// InstanceDriver runs function instances: containers on the local engine,
// or services of a Swarm cluster. Both pass drivertest.RunInstances.
type InstanceDriver interface {
	// Ping reports whether the engine answers; the error says how it was
	// reached (socket, DOCKER_HOST) so a user can fix it.
	Ping(ctx context.Context) error

	// StartInstance creates and starts a hardened container for spec and
	// returns its address as soon as the container runs (it may not listen
	// yet: readiness is the caller's business).
	StartInstance(ctx context.Context, spec InstanceSpec) (*Instance, error)
	// StopInstance stops (after grace) and removes the container; a missing
	// container is not an error.
	StopInstance(ctx context.Context, id string, grace time.Duration) error
	// PauseInstance freezes every process of the container (Docker's
	// pause: the cgroup freezer): it uses no CPU and keeps its memory, its
	// listening socket and its connections, so that UnpauseInstance
	// resumes it in milliseconds where a cold start takes hundreds. A
	// missing container is ENOTFOUND; pausing a paused one is not an error.
	// A driver that cannot freeze instances (Swarm: the manager reaches no
	// node's cgroups) returns ENOTIMPLEMENTED, and the server keeps no
	// standby on it.
	PauseInstance(ctx context.Context, id string) error
	// UnpauseInstance thaws a paused container; unpausing a running one is
	// not an error, a missing one is ENOTFOUND.
	UnpauseInstance(ctx context.Context, id string) error
	// ListInstances lists the platform's containers, running or not; a
	// paused container is Running with Paused set.
	ListInstances(ctx context.Context) ([]*Instance, error)
	// InstanceLogs returns up to tail lines of the container's output.
	InstanceLogs(ctx context.Context, id string, tail int) (string, error)
	// FollowLogs calls emit with the container's output in batches of
	// lines (Time, Stream, Message and Truncated set; lines over
	// MaxLogLine cut), from since (zero: from its start), in order, until
	// the container stops (nil) or ctx ends (ctx's error). emit must not
	// keep the slice. A missing container is ENOTFOUND.
	FollowLogs(ctx context.Context, id string, since time.Time, emit func([]LogLine)) error
	// Capacity is how many instances the backend runs at once, all
	// functions together: the local engine's host cap, or on a cluster
	// the per-node cap times the nodes that take instances now (a lost
	// node lowers it). The engine asks again from time to time and
	// starts no instance past the last answer.
	Capacity(ctx context.Context) (int, error)
	// WatchExits sends the exits of platform containers, until ctx ends.
	// Consumers must also cope with missed events (reconnects) and with an
	// exit sent again: after a reconnect, or OOMKilled once the engine
	// learns it (Docker may report the kernel's OOM after the death); a
	// later repeat that does not say OOMKilled does not undo it.
	WatchExits(ctx context.Context) (<-chan Exit, error)
}

// Exit is how a container ended, as its exit event tells it.
type Exit struct {
	ID       string `json:"id"`
	ExitCode int    `json:"exit_code"` // -1 when unknown
	// OOMKilled reports that the kernel killed a process of the container
	// because it reached its memory limit.
	OOMKilled bool `json:"oom_killed"`
}

// BuildRequest is the input of ImageBuilder.BuildImage.
type BuildRequest struct {
	Context io.Reader // tar stream, Dockerfile at its root
	Tags    []string
	Labels  map[string]string
	Output  io.Writer // receives the build log; may be nil
}

// InstanceSpec describes one function container. The driver always applies
// the platform's hardening (non-root user, no capabilities, no new
// privileges, read-only root with a tmpfs /tmp, an init process).
type InstanceSpec struct {
	Function    string
	Version     int
	Image       string // image ID or tag
	Env         map[string]string
	Port        int // the port the function listens on inside the container
	MemoryBytes int64
	CPUShares   int64
	PidsLimit   int64
	// Placement holds scheduling constraints of a cluster backend
	// (node.labels.gpu==true); the local engine has one node and
	// ignores them.
	Placement []string
}

// Instance states, as the pool manager sees them.
const (
	InstanceStarting = "starting"
	InstanceIdle     = "idle"
	InstanceBusy     = "busy"
	InstanceDraining = "draining" // finishing its requests before it stops
	// InstancePaused is an idle instance in standby: frozen (no CPU, memory
	// kept) until a request resumes it or its standby timeout stops it.
	InstancePaused  = "paused"
	InstanceStopped = "stopped" // the container is not running
)

// Instance is a running (or exited) container serving one function version.
type Instance struct {
	ID        string    `json:"id"`
	Function  string    `json:"function"`
	Version   int       `json:"version"`
	Addr      string    `json:"addr"` // host:port reachable from the server
	Running   bool      `json:"running"`
	Paused    bool      `json:"paused,omitempty"` // frozen by PauseInstance (Running stays true)
	CreatedAt time.Time `json:"created_at"`
	// Filled in by the pool manager.
	State    string `json:"state,omitempty"`
	Inflight int    `json:"inflight"`
	Requests int64  `json:"requests"` // served since the instance started
}

// Validate rejects specs an engine would refuse with a less helpful
// message, or that would produce an unreachable instance.
func (spec InstanceSpec) Validate() error {
	if err := ValidateName(spec.Function); err != nil {
		return err
	}
	switch {
	case spec.Version < 0:
		return Errorf(EINVALID, "instance version %d is negative", spec.Version)
	case spec.Image == "":
		return Errorf(EINVALID, "instance of %s v%d has no image: build the function first", spec.Function, spec.Version)
	case spec.Port < 1 || spec.Port > 65535:
		return Errorf(EINVALID, "port %d is out of range 1-65535", spec.Port)
	case spec.MemoryBytes < 0 || spec.CPUShares < 0 || spec.PidsLimit < 0:
		return Errorf(EINVALID, "instance limits must not be negative (memory %d, cpu shares %d, pids %d)", spec.MemoryBytes, spec.CPUShares, spec.PidsLimit)
	}
	for k := range spec.Env {
		if err := ValidateEnvName(k); err != nil {
			return err
		}
	}
	return ValidatePlacement(spec.Placement)
}
