package lambda

import (
	"context"
	"io"
)

// DeployRequest is one deploy of a function from a code archive.
type DeployRequest struct {
	Name   string
	Config Config
	// Scaling changes the function's scaling settings with this deploy.
	Scaling ScalingPatch
	// Exactly one source is set. Code is a tar.gz of the function
	// directory (untrusted); Image names an image on the host (pulled if
	// missing); ImageArchive is a `docker save` tarball (untrusted).
	Code         io.Reader
	Image        string
	ImageArchive io.Reader
	// Progress receives the stages and the build log as they happen.
	// It may be nil.
	Progress Progress
}

// Progress reports a deploy's stages and output to whoever started it.
type Progress interface {
	// Step announces stage n of total, e.g. `Building image "func-greet"`.
	Step(n, total int, message string)
	// Log carries a chunk of build or start-up output.
	Log(text string)
}

// FunctionService changes what functions exist and which version serves.
// Reads go straight to the FunctionStore.
type FunctionService interface {
	// Deploy builds the code into a new version, starts and warms an
	// instance, then switches traffic to it. On any failure nothing is
	// recorded and the previous version keeps serving.
	Deploy(ctx context.Context, req DeployRequest) (*Function, error)
	// Rollback makes version `to` active (0: the one before the active
	// version), warming it before the switch.
	Rollback(ctx context.Context, name string, to int) (*Function, error)
	// Delete stops and removes the function's containers and images and
	// deletes its metadata and schedules.
	Delete(ctx context.Context, name string) error
	// Instances lists the containers serving name ("" for all functions).
	Instances(ctx context.Context, name string) ([]*Instance, error)
}
