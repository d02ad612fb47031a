package lambda

import (
	"context"
	"io"
	"time"
)

// DeployRequest is one deploy of a function from a code archive.
type DeployRequest struct {
	Name   string
	Config Config
	// Scaling changes the function's scaling settings with this deploy.
	Scaling ScalingPatch
	// Force publishes a new version even when the code and configuration
	// are those of the active version.
	Force bool
	// Canary, when above 0, publishes the new version beside the active
	// one instead of in its place: it gets this share (up to 1) of live's
	// traffic, the active version the rest (`lambda promote` moves it all).
	Canary float64
	// Exactly one source is set. Code is a tar.gz of the function
	// directory (untrusted); Image names an image on the host (pulled if
	// missing); ImageArchive is a `docker save` tarball (untrusted).
	Code         io.Reader
	Image        string
	ImageArchive io.Reader
	// Git names a repository's tree as the source: the server clones it
	// (Cloner) and deploys it like an uploaded Code archive; the version
	// records its Provenance.
	Git *GitSource
	// OnlyFunctions, when set, are the functions whose platform-built
	// images Image may name (the caller's key is limited to them): such an
	// image holds its function's code and environment files, which a key
	// for another function must not get by deploying it as its own.
	// Images the platform did not build are not limited.
	OnlyFunctions []string
	// Progress receives the stages and the build log as they happen.
	// It may be nil.
	Progress Progress
	// Schedules are applied (ScheduleService.Apply) once the deploy is
	// live, all or none; they are checked before anything is built. None:
	// the manifest's of the uploaded tree, if any.
	Schedules []ScheduleSpec
}

// Deployment is the outcome of a deploy: the function as it now is and
// whether the deploy published a new version.
type Deployment struct {
	*Function
	// Changed is false when the deploy found the code and configuration of
	// the active version (of live's canary, for a canary deploy): nothing
	// was built and that version stays where it was.
	Changed bool
	// Schedules are the deploy's schedules as applied, in its order.
	Schedules []AppliedSchedule
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
	// recorded and the previous version keeps serving. Code (or an image)
	// and configuration identical to the active version's publish nothing
	// unless req.Force: the active version stays, and only req.Scaling
	// applies. A canary deploy compares live's canary first: the same
	// code and configuration only set its weight to req.Canary; the active
	// version's with a canary in place are refused (ECONFLICT).
	Deploy(ctx context.Context, req DeployRequest) (*Deployment, error)
	// Rollback makes version `to` active (0: the one before the active
	// version), warming it before the switch.
	Rollback(ctx context.Context, name string, to int) (*Function, error)
	// Delete stops and removes the function's containers and images and
	// deletes its metadata and schedules.
	Delete(ctx context.Context, name string) error
	// Instances lists the containers serving name ("" for all functions).
	Instances(ctx context.Context, name string) ([]*Instance, error)
}

// Deploy results, as a DeployObserver receives them.
const (
	DeployPublished = "published" // a new version serves
	DeployUnchanged = "unchanged" // the code and config were the active version's (or live's canary's)
	DeployFailed    = "failed"    // nothing changed; the previous version serves
)

// DeleteObserver learns of every function deleted, whatever deleted it
// (lambda delete, a project deploy's --prune), to forget what it keeps of
// the function. It is called once the deletion succeeded, on its
// goroutine, and must return at once.
type DeleteObserver interface {
	FunctionDeleted(name string)
}

// DeployObserver receives the outcome of every deploy, for metrics. It is
// called on the deploy's goroutine and must return at once.
type DeployObserver interface {
	// ObserveBuild reports that an image of function was built in took.
	ObserveBuild(function string, took time.Duration)
	// ObserveDeploy reports how a deploy of function ended (Deploy*).
	ObserveDeploy(function, result string)
}
