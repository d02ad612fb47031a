package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/async"
	"github.com/lambdahq/lambda/cron"
	"github.com/lambdahq/lambda/docker"
	"github.com/lambdahq/lambda/engine"
	"github.com/lambdahq/lambda/history"
	lhttp "github.com/lambdahq/lambda/http"
	"github.com/lambdahq/lambda/logfile"
	"github.com/lambdahq/lambda/manifest"
	"github.com/lambdahq/lambda/prometheus"
	"github.com/lambdahq/lambda/runtimes"
	"github.com/lambdahq/lambda/sqlite"
	"github.com/lambdahq/lambda/stats"
	"github.com/lambdahq/lambda/ui"
)

// The registry resolves a deploy's config without building, so that a
// deploy that changes nothing publishes nothing.
var _ engine.ConfigResolver = (*runtimes.Registry)(nil)

// platformOptions configure the parts every Lambda server is made of.
type platformOptions struct {
	dataDir, addr, domain string
	logger                *slog.Logger
	images                imageOptions
	maxInstances          int           // per host; 0: lambda.DefaultHostCapacity
	queueSize             int           // 0: the engine's default
	keepVersions          int           // 0: the engine's default
	reapInterval          time.Duration // 0: the engine's default
	standbyMemory         int64         // budget of paused instances; 0: none is paused
	swarm                 swarmOptions  // --backend swarm (server_swarm.go)
	preinit               engine.PreinitConfig
	maxQueuedJobs         int           // 0: the queue's default
	retention             time.Duration // of ended invocations; 0: the queue's default
	logRetention          time.Duration // of functions' log lines; 0: the store's default
	logMaxBytes           int64         // of each function's logs; 0: the store's default
	metricsKey            string        // Bearer secret of /metrics; "": open
	git                   gitLimits     // of deploys from git; zero fields: the cloner's defaults
	// internalNetwork puts functions on an internal Docker network: no
	// route out, only the host (the gateway) reaches them.
	internalNetwork bool
	// namespace labels the server's containers; "" derives it from the
	// data directory (serverID), so a restarted server finds its own.
	namespace string
	// configure adjusts the HTTP server before it opens (limits, TLS).
	configure func(*lhttp.Server)
	// scheduler runs the cron scheduler (lambda server; not lambda bench).
	scheduler bool
	// queueJobs wraps the job store the queue writes through (lambda
	// bench records its jobs' commits); nil: the store itself. Set once
	// at wiring: nothing on a request's way.
	queueJobs func(lambda.JobStore) lambda.JobStore
	// external serves the running containers labelled lambda.expose or
	// faas.name that no server started (lambda server; not lambda bench).
	external bool
	// dockerDown decides what a Docker that does not answer at start
	// means; nil: a warning, and deploys and invocations wait for it.
	dockerDown func(error) error
	// beforeEngineClose runs at close once traffic has stopped (scheduler,
	// HTTP, queue) and while the engine and driver still run.
	beforeEngineClose func(context.Context) error
}

// platform is the store, the Docker driver, the runtimes, the engine, the
// invoker, the queue of asynchronous invocations, the HTTP server and the
// scheduler wired together: `lambda server` and `lambda bench` both run
// one. Its parts open in that order and close once, in reverse (life).
type platform struct {
	db        *sqlite.DB
	driver    *docker.Driver
	functions *sqlite.FunctionStore
	schedules *sqlite.ScheduleStore
	keys      *sqlite.KeyStore
	audit     *sqlite.AuditStore
	jobs      *sqlite.JobStore
	logs      *logfile.Store
	reports   *logfile.Reporter // START, END and REPORT lines of every invocation
	secrets   lambda.KeySecrets
	reg       *runtimes.Registry
	eng       *engine.Engine
	invoker   *lhttp.Invoker
	queue     *async.Queue
	srv       *lhttp.Server
	sched     *cron.Scheduler // nil without platformOptions.scheduler
	metrics   *prometheus.Metrics
	stats     *stats.Recorder
	history   *history.Recorder
	hooks     *lambda.HookManager // push-to-deploy webhooks

	life lifecycle
}

// openPlatform wires the parts and opens them in order, the HTTP server
// (serving) included. On error, what was opened is closed again.
func openPlatform(ctx context.Context, o platformOptions) (*platform, error) {
	p, err := newPlatform(o)
	if err != nil {
		return nil, err
	}
	p.life.logger = o.logger
	if err := p.life.open(ctx, p.components(o)...); err != nil {
		return nil, err
	}
	return p, nil
}

// newPlatform builds and wires the parts; nothing is opened yet.
func newPlatform(o platformOptions) (*platform, error) {
	p := &platform{}
	p.db = sqlite.NewDB(filepath.Join(o.dataDir, "lambda.db"))
	p.db.Logger = o.logger
	var err error
	if p.driver, err = docker.New(); err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	p.driver.Logger, p.driver.Namespace = o.logger, o.namespace
	p.driver.MaxInstances = o.maxInstances // per host: each node's on Swarm
	if o.internalNetwork {
		p.driver.Network, p.driver.Internal = docker.InternalNetwork, true
	}
	p.functions = sqlite.NewFunctionStore(p.db)
	p.schedules = sqlite.NewScheduleStore(p.db)
	p.keys, p.audit = sqlite.NewKeyStore(p.db), sqlite.NewAuditStore(p.db)
	p.jobs = sqlite.NewJobStore(p.db)

	p.reg = runtimes.NewRegistry(p.driver)
	if o.images.python != "" {
		p.reg.PythonImage = o.images.python
	}
	if o.images.node != "" {
		p.reg.NodeImage = o.images.node
	}
	if o.images.goBuilder != "" {
		p.reg.GoBuilderImage = o.images.goBuilder
	}
	// Temporary directories of deploys and builds live in the server's own
	// directory, so that the engine removes what a killed server left.
	tmp := filepath.Join(o.dataDir, "tmp")
	p.reg.TempDir = tmp
	p.logs = logfile.New(filepath.Join(o.dataDir, "logs"))
	p.logs.Logger = o.logger
	if o.logRetention > 0 {
		p.logs.Retention = o.logRetention
	}
	if o.logMaxBytes > 0 {
		p.logs.MaxBytes = o.logMaxBytes
	}
	p.eng = engine.New(p.functions, p.driver, p.reg, extract)
	p.eng.Logs = p.logs
	p.eng.Logger, p.eng.Images, p.eng.TempDir = o.logger, p.driver, tmp
	if o.queueSize > 0 {
		p.eng.QueueSize = o.queueSize
	}
	if o.keepVersions > 0 {
		p.eng.KeepVersions = o.keepVersions
	}
	if o.reapInterval > 0 {
		p.eng.ReapInterval = o.reapInterval
	}
	p.eng.StandbyMemory = o.standbyMemory
	p.eng.Preinit = o.preinit

	p.invoker = lhttp.NewInvoker(p.eng, o.logger)
	p.invoker.Jobs = p.jobs // idempotency keys of synchronous invocations
	p.reports = logfile.NewReporter(p.logs, o.logger)
	p.invoker.Observers = append(p.invoker.Observers, p.reports)
	var queueJobs lambda.JobStore = p.jobs
	if o.queueJobs != nil {
		queueJobs = o.queueJobs(queueJobs)
	}
	p.queue = async.New(queueJobs, p.functions, p.invoker)
	p.queue.Lookup = p.eng // functions from the engine's memory, not a store read per job
	p.queue.Qualifiers = p.eng
	p.queue.Logger = o.logger
	if o.maxQueuedJobs > 0 {
		p.queue.MaxQueued = o.maxQueuedJobs
	}
	if o.retention > 0 {
		p.queue.Retention = o.retention
	}

	p.srv = lhttp.NewServer()
	p.srv.Addr, p.srv.Domain, p.srv.Logger = o.addr, o.domain, o.logger
	p.srv.Functions, p.srv.Store, p.srv.Schedules, p.srv.Router, p.srv.Scaling = p.eng, p.functions, p.schedules, p.eng, p.eng
	p.srv.Projects = p.eng
	p.srv.Capacity = p.eng.Capacity
	p.srv.Lookup = p.eng
	if o.external {
		p.eng.External, p.srv.External = p.driver, p.eng
	}
	p.srv.Invoker, p.srv.Async, p.srv.Logs = p.invoker, p.queue, p.logs
	p.srv.Cron, p.srv.Images, p.srv.Runtimes = cron.Parser{}, p.driver, p.reg
	// One schedule service for the API and deploys: its lock makes each
	// check and its inserts one step. The engine reads an upload's
	// lambda.yaml and applies its schedules with the deploy.
	schedules := lambda.NewScheduleManager(p.schedules, p.srv.Cron)
	p.srv.ScheduleService, p.eng.Schedules, p.eng.Manifests = schedules, schedules, manifest.Reader{}
	p.srv.StorePing, p.srv.DockerPing = p.db.Ping, p.driver.Ping
	p.srv.Keys, p.srv.Audit = p.keys, p.audit
	p.srv.UI = ui.Assets()
	p.eng.Cloner = newCloner(o.git, p.eng.TempDir, o)
	p.srv.GitDeploys = p.eng
	p.hooks = lambda.NewHookManager(sqlite.NewHookStore(p.db), nil, lambda.GitDeploy(p.eng))
	p.hooks.Logger, p.srv.Hooks = o.logger, p.hooks
	p.wireSwarm(o) // once p.srv exists: it reports the nodes
	p.wireMetrics(o)
	p.wireStats(o)
	p.wireHistory(o)
	if o.configure != nil {
		o.configure(p.srv)
	}
	if o.scheduler {
		p.sched = cron.NewScheduler(p.schedules, p.queue)
		p.sched.Logger = o.logger
		p.srv.SchedulesChanged = p.sched.Notify
	}
	return p, nil
}

// wireMetrics registers the metrics on a registry of the platform's own:
// they observe every invocation and deploy, and read the instances and
// the queue at scrape time. A submission refused by a full queue counts as
// a throttle, so the server's submissions go through them.
func (p *platform) wireMetrics(o platformOptions) {
	p.metrics = prometheus.New(prom.NewRegistry(), prometheus.Sources{Functions: p.functions, Instances: p.eng, Jobs: p.jobs})
	p.metrics.Logger = o.logger
	p.invoker.Observers = append(p.invoker.Observers, p.metrics)
	p.eng.DeployObserver = p.metrics
	p.srv.Async = prometheus.AsyncService{AsyncService: p.queue, Metrics: p.metrics}
	p.srv.Metrics, p.srv.MetricsKey = p.metrics.Handler(), o.metricsKey
}

// components are the platform's parts in the order they open: each after
// what it uses. They close in reverse: the scheduler stops ticking, HTTP
// stops accepting and drains, the queue lets running jobs finish within
// its grace and queues the rest again, then the engine, the driver and
// the database stop.
func (p *platform) components(o platformOptions) []component {
	cs := []component{
		{name: "database", open: func(ctx context.Context) error {
			if err := p.db.Open(ctx); err != nil {
				return fmt.Errorf("open the database in %s: %w", o.dataDir, err)
			}
			return nil
		}, close: p.db.Close},
		// Closed after everything that invokes, before the database: it
		// writes the last minutes.
		{name: "stats", open: p.stats.Open, close: p.stats.Close},
		// The same: it writes the last records.
		{name: "invocation history", open: p.history.Open, close: p.history.Close},
		{name: "keys", open: func(ctx context.Context) error {
			var err error
			if p.secrets.Master, err = loadMasterKey(o.dataDir); err != nil {
				return err
			}
			p.srv.Secrets = p.secrets
			return bootstrapAdminKey(ctx, p.keys, p.secrets, o.dataDir, o.logger)
		}},
		{name: "log store", open: p.logs.Open, close: p.logs.Close},
		// Closed after everything that invokes: the last invocations' lines are written.
		{name: "invocation reports", open: p.reports.Open, close: p.reports.Close},
		{name: "Docker driver", open: func(ctx context.Context) error {
			if p.driver.Namespace == "" {
				var err error
				if p.driver.Namespace, err = serverID(o.dataDir); err != nil {
					return err
				}
			}
			if err := p.driver.Ping(ctx); err != nil {
				if o.dockerDown != nil {
					return o.dockerDown(err)
				}
				o.logger.Warn("Docker is not reachable yet; deploys and invocations answer 503 until it is", "err", err)
			}
			return nil
		}, close: func(context.Context) error { return p.driver.Close() }},
		{name: "engine", open: func(ctx context.Context) error {
			if err := os.MkdirAll(p.eng.TempDir, 0o700); err != nil {
				return fmt.Errorf("create the temporary directory in %s: %w", o.dataDir, err)
			}
			return p.eng.Open(ctx)
		}, close: p.eng.Close},
	}
	if o.beforeEngineClose != nil {
		cs = append(cs, component{name: "clean-up", close: o.beforeEngineClose})
	}
	cs = append(cs,
		// Closed after the HTTP server, before the engine: the deploys
		// that deliveries started end first.
		component{name: "webhooks", open: func(ctx context.Context) error {
			return openHooks(ctx, p.hooks, o.dataDir)
		}, close: p.hooks.Close},
		component{name: "queue of asynchronous invocations", open: p.queue.Open, close: p.queue.Close},
		component{name: "HTTP server", open: p.srv.Open, close: p.srv.Close},
	)
	if p.sched != nil {
		cs = append(cs, component{name: "scheduler", open: p.sched.Open, close: p.sched.Close})
	}
	return cs
}

// close closes what openPlatform opened, once, in reverse order, waiting
// until ctx ends for everything the parts started. Instances keep running.
func (p *platform) close(ctx context.Context) error {
	return p.life.close(ctx)
}
