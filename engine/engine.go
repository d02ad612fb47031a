// Package engine turns deploys into running instances: it builds versions,
// keeps a warm instance per function, switches traffic between versions
// without dropping requests, and reconciles containers left by a previous
// run. It speaks to the container engine only through lambda.InstanceDriver
// and lambda.ImageBuilder.
package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdahq/lambda"
)

// Builder turns function code into Docker build contexts.
type Builder interface {
	// BuildContext detects the runtime of dir (cfg.Runtime "" = auto),
	// resolves cfg's Runtime, Protocol and Handler, and returns a tar stream
	// with a Dockerfile at its root.
	BuildContext(ctx context.Context, dir string, cfg lambda.Config, out io.Writer) (lambda.Config, io.ReadCloser, error)
	// WrapContext returns a build context FROM image that runs the image's
	// command behind the shim for cfg.Protocol (aws or stdio).
	WrapContext(ctx context.Context, image *lambda.Image, cfg lambda.Config, out io.Writer) (io.ReadCloser, error)
}

// ExtractFunc safely unpacks an untrusted tar.gz into dest and returns the
// hex SHA-256 of the archive.
type ExtractFunc func(r io.Reader, dest string) (sha256 string, err error)

// Engine implements lambda.FunctionService and lambda.Router.
type Engine struct {
	Store lambda.FunctionStore
	// Driver runs the instances: local containers or Swarm services.
	Driver lambda.InstanceDriver
	// ImageBuilder builds, pulls, pushes and removes images; New sets
	// it to the same engine as Driver, the local case.
	ImageBuilder lambda.ImageBuilder
	Images       lambda.ImageDriver // nil: prebuilt images cannot be deployed
	// Registry (HOST:PORT), when set, receives every version's image:
	// the version records the pushed digest reference, which every node
	// of a cluster can pull (push.go). "": the local image ID.
	Registry string
	// Pushed, with Registry, deletes from the registry what deleted
	// functions, deleted or pruned versions and failed deploys pushed
	// (unpush.go); nil leaves it there.
	Pushed lambda.ImageRegistry
	// NodeImages, with Pushed, removes from the cluster's nodes the
	// copies they pulled of what leaves the registry (node_images.go);
	// nil leaves them there.
	NodeImages lambda.NodeImages

	Builder Builder
	Extract ExtractFunc
	Logger  *slog.Logger

	// DrainTimeout bounds how long a replaced instance may finish its
	// in-flight requests before it is stopped anyway.
	DrainTimeout time.Duration
	// StopGrace is the SIGTERM-to-SIGKILL delay when stopping a container.
	StopGrace time.Duration
	// ReconcileInterval is how often reconciliation is retried while the
	// container engine is unreachable.
	ReconcileInterval time.Duration
	// TempDir holds extracted code while a deploy runs ("" = os.TempDir).
	// Set it to a directory of this server's own: Open removes the
	// lambda-* directories a killed server left in it.
	TempDir string
	// CapacityInterval is how often the driver is asked how many
	// instances the backend runs at once (capacity.go); 0:
	// DefaultCapacityInterval.
	CapacityInterval time.Duration
	// QueueSize bounds each function's queue of requests waiting for a
	// slot; QueueTimeout bounds the wait. Past either: 429.
	QueueSize    int
	QueueTimeout time.Duration
	// ReapInterval is how often idle instances are looked for.
	ReapInterval time.Duration
	// StandbyMemory is the host-wide budget, in bytes of memory limits, of
	// paused instances (standby.go): past it the least recently used one
	// stops. 0: no instance is paused, idle ones stop at their idle
	// timeout whatever their standby timeout.
	StandbyMemory int64
	// KeepVersions is how many of a function's newest versions keep their
	// image; older ones (never the active one) are pruned in the
	// background, their metadata kept. 0 keeps every image.
	KeepVersions int
	Clock        Clock
	// DeployObserver, when set, receives every deploy's outcome and build
	// time (metrics).
	DeployObserver lambda.DeployObserver
	// DeleteObservers learn of every deleted function, whatever deleted
	// it (Delete, a project's prune): one path for every clean-up.
	DeleteObservers []lambda.DeleteObserver
	// Logs, when set, receives every instance's output (logs.go).
	Logs lambda.LogStore
	// Manifests, when set, reads the lambda.yaml of an uploaded tree: its
	// settings apply under the request's (deploy_manifest.go).
	Manifests lambda.ManifestReader
	// Schedules checks a deploy's schedules before the build and applies
	// them once it is live; nil: a deploy with schedules is refused.
	Schedules lambda.ScheduleService
	// Cloner fetches the tree of a deploy from git (DeployRequest.Git);
	// nil: such a deploy is refused.
	Cloner lambda.Cloner
	// External, when set, finds running containers the engine did not
	// start that expose a function by their labels (external.go).
	External lambda.ExternalWatcher
	// Preinit sizes the pre-initialized runtime instances (preinit.go);
	// they need a Driver implementing lambda.PreinitDriver and Images.
	Preinit PreinitConfig
	preinit preinitState

	mu        sync.Mutex
	functions map[string]*fnState // routing state, by function name
	deploying map[string]*deployLock
	deleting  map[string]bool // functions a Delete is draining: not routable
	exits     *exitLog
	pruning   *pruneQueue
	ext       *externals
	owned     sync.Map // IDs of containers this engine started; reconcile leaves them be
	// starts is held shared from a container's creation until it is in
	// owned, and exclusively by reconcile: a container created while
	// reconcile lists would otherwise look like a leftover and be removed
	// under a deploy or cold start that is waiting for it.
	starts sync.RWMutex
	live   sync.Map     // container ID → *instance, for exits and describe
	attrs  sync.Map     // container ID → *attribution, for http instances' logs
	total  atomic.Int64 // instances running or starting, against capacity
	// capacity is the driver's last answer to Capacity; -1 before it
	// first answers.
	capacity atomic.Int64
	// pausedBytes sums the memory limits of the paused instances, for
	// StandbyMemory.
	pausedBytes atomic.Int64
	// evicting serialises the budget's evictions: two reaper passes at
	// once (the timer's and ReapNow's) each weighed the budget, then the
	// second stopped the last paused instance the first had made fit.
	evicting sync.Mutex

	ctx    context.Context
	cancel context.CancelFunc
	tasks  tasks // every goroutine the engine started; Close waits for them
	// interruptedDeploy: Open found a deploy's folder the last run left
	// (removeLeftoverDirs), so images are swept again later.
	interruptedDeploy bool
}

// New returns an Engine with default timeouts; set the dependencies before Open.
func New(store lambda.FunctionStore, driver lambda.Driver, builder Builder, extract ExtractFunc) *Engine {
	e := &Engine{
		Store:             store,
		Driver:            driver,
		ImageBuilder:      driver,
		Builder:           builder,
		Extract:           extract,
		Logger:            slog.Default(),
		DrainTimeout:      lambda.MaxTimeout,
		StopGrace:         5 * time.Second,
		ReconcileInterval: 2 * time.Second,
		QueueSize:         1000,
		QueueTimeout:      10 * time.Second,
		ReapInterval:      time.Second,
		Clock:             realClock{},
		functions:         make(map[string]*fnState),
		deploying:         make(map[string]*deployLock),
		deleting:          make(map[string]bool),
		exits:             newExitLog(),
		pruning:           newPruneQueue(),
		ext:               newExternals(),
		KeepVersions:      DefaultKeepVersions,
	}
	e.capacity.Store(-1)
	return e
}

var (
	_ lambda.FunctionService = (*Engine)(nil)
	_ lambda.Router          = (*Engine)(nil)
	_ lambda.ScalingService  = (*Engine)(nil)
)

// Open starts watching container exits and reconciles the containers a
// previous run left behind, retrying in the background while the container
// engine is unreachable.
func (e *Engine) Open(ctx context.Context) error {
	e.ctx, e.cancel = context.WithCancel(context.WithoutCancel(ctx))
	e.removeLeftoverDirs()   // before any deploy can create one
	e.refreshCapacity(e.ctx) // before the first deploy can count against it
	for _, loop := range []func(){e.watchExits, e.reconcileLoop, e.reapLoop, e.pruneLoop, e.capacityLoop} {
		e.tasks.start(loop)
	}
	if e.External != nil {
		e.tasks.start(e.watchExternal)
	}
	return nil
}

// Close stops background work and waits, until ctx ends, for everything
// the engine started, instance starts in flight included. Running
// instances are left running: the next Open re-adopts the ones that still
// serve an active version, so a server restart costs no cold starts.
// Paused instances stop: no server would resume them. A
// start that outlives a bounded Close leaves its container to that
// reconcile rather than call a driver its owner may have closed.
func (e *Engine) Close(ctx context.Context) error {
	if e.cancel != nil {
		e.stopPaused() // before the cancel: the stops run as background work Close waits for
		e.dropSpares()
		e.cancel()
	}
	if err := e.tasks.wait(ctx); err != nil {
		return fmt.Errorf("engine: background work still running at shutdown: %w", err)
	}
	return nil
}

// deployLock serializes the changes of one function: deploys, rollbacks,
// scaling changes and deletes.
type deployLock struct {
	mu sync.Mutex
	// cancel ends the deploy or rollback holding mu, so that a delete does
	// not wait for a build or a warm-up of a function going away (as AWS
	// Lambda, where a deleted function's update stops). Guarded by Engine.mu.
	cancel context.CancelCauseFunc
}

func (e *Engine) deployLock(name string) *deployLock {
	e.mu.Lock()
	defer e.mu.Unlock()
	l, ok := e.deploying[name]
	if !ok {
		l = new(deployLock)
		e.deploying[name] = l
	}
	return l
}

// lockDeploys takes name's lock for a change that must run to its end.
func (e *Engine) lockDeploys(name string) func() {
	l := e.deployLock(name)
	l.mu.Lock()
	return l.mu.Unlock
}

// lockCancelable takes name's lock for a deploy or rollback; the returned
// context ends when a delete of name begins (cancelDeploy).
func (e *Engine) lockCancelable(ctx context.Context, name string) (context.Context, func()) {
	l := e.deployLock(name)
	l.mu.Lock()
	ctx, cancel := context.WithCancelCause(ctx)
	e.mu.Lock()
	l.cancel = cancel
	e.mu.Unlock()
	return ctx, func() {
		e.mu.Lock()
		l.cancel = nil
		e.mu.Unlock()
		cancel(nil)
		l.mu.Unlock()
	}
}

// cancelDeploy ends the deploy or rollback of name in progress, if any,
// with cause.
func (e *Engine) cancelDeploy(name string, cause error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if l, ok := e.deploying[name]; ok && l.cancel != nil {
		l.cancel(cause)
	}
}

// background runs f in a goroutine Close waits for; once the engine is
// closed f does not run, and background reports false.
func (e *Engine) background(f func(ctx context.Context)) bool {
	return e.tasks.start(func() { f(e.ctx) })
}
