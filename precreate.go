package lambda

import "context"

// PrecreateDriver is what pre-created instances need from the container
// engine beside InstanceDriver: a container created ahead of a cold start,
// so that the start is only Docker's start and the function's readiness.
// The docker package's local driver implements it; a driver without it
// (Swarm) starts every instance from nothing.
type PrecreateDriver interface {
	// CreateInstance creates spec's container as StartInstance would
	// (same hardening, limits, labels, network) without starting it:
	// it runs nothing, holds no address, and lists as not Running.
	CreateInstance(ctx context.Context, spec InstanceSpec) (id string, err error)
	// StartCreated starts the container CreateInstance made for spec and
	// returns it as StartInstance does. A missing container is ENOTFOUND;
	// on any failure the container is removed.
	StartCreated(ctx context.Context, id string, spec InstanceSpec) (*Instance, error)
}

// LabelPrecreated marks a container created ahead of its start (value
// "true"). Labels are immutable: a pre-created container that was started
// keeps it, so "pre-created and not started" is the label and Docker's
// state "created" together.
const LabelPrecreated = "lambda.precreated"
