package lambda

import (
	"context"
	"io"
)

// LabelPreinit marks a pre-initialized runtime instance: a container
// started from a runtime's image before any function was given to it
// (what OpenWhisk calls a stem cell). Its value is the runtime. Labels are
// immutable, so a container keeps it once a function's code is in it: only
// the server that gave it away knows whose it is, and a restarted server
// removes every such container rather than guess.
const LabelPreinit = "lambda.preinit"

// PreinitPort is the port a pre-initialized instance serves its function
// on; PreinitInitPort takes its one init (shim/preinit.go).
const (
	PreinitPort     = 8080
	PreinitInitPort = 9002
)

// PreinitDriver is what pre-initialized runtime instances need from the
// container engine beside InstanceDriver. The docker package implements
// it; a driver without it (Swarm) has no such instances.
type PreinitDriver interface {
	// StartPreinit creates and starts a hardened generic container of
	// spec.Image for spec.Runtime, labelled LabelPreinit and no function,
	// its task root an empty writable tmpfs, waiting for its init on
	// PreinitInitPort; Addr is its PreinitPort. Its limits are the
	// defaults (those InstanceLimits{} stands for).
	StartPreinit(ctx context.Context, spec PreinitSpec) (*Instance, error)
	// UpdateInstance applies limits to a running container (docker
	// update): a pre-initialized instance gets its function's. Zero
	// fields get the platform's defaults, as in InstanceSpec.
	UpdateInstance(ctx context.Context, id string, limits InstanceLimits) error
	// ImageFiles returns a tar of the directory dir of image, read without
	// running the image (a created container, copied from and removed).
	ImageFiles(ctx context.Context, image, dir string) (io.ReadCloser, error)
}

// PreinitSpec is a generic instance to start.
type PreinitSpec struct {
	// Runtime names the instance's container and label: python, node,
	// or go-PROTOCOL for the shim base under Go functions.
	Runtime string
	Image   string
	// Entrypoint, when set, replaces the image's: the shim base has no
	// command of its own, the functions built on it run the shim with
	// their protocol and their binary, which a generic instance gets
	// with its init.
	Entrypoint []string
	// Env is the shim's pre-initialization setting (LAMBDA_PREINIT).
	Env map[string]string
}

// InstanceLimits are the resource limits of an instance.
type InstanceLimits struct {
	MemoryBytes int64
	CPUShares   int64
	PidsLimit   int64
}
