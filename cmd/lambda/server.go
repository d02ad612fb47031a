package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/archive"
	"github.com/lambdahq/lambda/engine"
	lhttp "github.com/lambdahq/lambda/http"
	"github.com/lambdahq/lambda/runtimes"
)

type serverOptions struct {
	addr     string
	dataDir  string
	domain   string
	logLevel string
	// logFormat is text or json (newLogger).
	logFormat string
	images    imageOptions
	// maxInstances caps the instances per host (per node on Swarm), all
	// functions together.
	maxInstances string
	// queueSize bounds each function's queue of requests waiting for an
	// instance; past it requests get 429.
	queueSize string
	// keepVersions is how many of a function's newest versions keep
	// their image; older ones are pruned.
	keepVersions string
	// functionsNetwork is bridge (the default) or none: functions on an
	// internal network, reachable by the server alone.
	functionsNetwork string
	// metricsKey, when set, is the Bearer secret GET /metrics needs.
	metricsKey string
	// standbyMemory bounds the memory of paused instances (server_standby.go).
	standbyMemory string
	preinit       string // --preinit-instances (server_preinit.go)
	jobs          jobOptions
	logs          logOptions
	limits        clientLimitOptions
	tls           tlsOptions
	git           gitOptions
	swarm         swarmOptions // --backend (server_swarm.go)
	aws           awsOptions
}

// tlsOptions make the server speak HTTPS on its port.
type tlsOptions struct {
	cert, key, httpRedirect string
}

// check refuses incomplete TLS options before anything is opened; the
// files themselves are read when the server opens its port.
func (o tlsOptions) check() error {
	switch {
	case (o.cert == "") != (o.key == ""):
		return usageErrorf("--tls-cert and --tls-key go together: give the certificate chain and its private key (PEM files)")
	case o.httpRedirect != "" && o.cert == "":
		return usageErrorf("--http-redirect redirects to HTTPS: it needs --tls-cert and --tls-key")
	}
	return nil
}

// clientLimitOptions bound slow clients (durations as text until checked).
type clientLimitOptions struct {
	readTimeout, readHeaderTimeout, writeTimeout string
}

// imageOptions name the images runtimes build on; each is pulled, or
// assembled from the host's Debian packages, when missing.
type imageOptions struct {
	python, node, goBuilder string
}

func newServerCommand(s *streams) *cobra.Command {
	opts := serverOptions{
		addr:             envOr("LAMBDA_ADDR", ":8080"),
		dataDir:          envOr("LAMBDA_DATA", defaultDataDir()),
		domain:           envOr("LAMBDA_DOMAIN", "localhost"),
		logLevel:         envOr("LAMBDA_LOG_LEVEL", "info"),
		logFormat:        envOr("LAMBDA_LOG_FORMAT", "text"),
		maxInstances:     envOr("LAMBDA_MAX_INSTANCES", "200"),
		queueSize:        envOr("LAMBDA_QUEUE_SIZE", "1000"),
		keepVersions:     envOr("LAMBDA_KEEP_VERSIONS", strconv.Itoa(engine.DefaultKeepVersions)),
		functionsNetwork: envOr("LAMBDA_FUNCTIONS_NETWORK", "bridge"),
		standbyMemory:    envOr("LAMBDA_STANDBY_MEMORY", defaultStandbyMemory),
		preinit:          envOr("LAMBDA_PREINIT_INSTANCES", defaultPreinit),
		images: imageOptions{
			python:    envOr("LAMBDA_PYTHON_IMAGE", runtimes.DefaultPythonImage),
			node:      envOr("LAMBDA_NODE_IMAGE", runtimes.DefaultNodeImage),
			goBuilder: envOr("LAMBDA_GO_BUILDER_IMAGE", runtimes.DefaultGoBuilderImage),
		},
	}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the Lambda server: gateway, control API, scheduler",
		Long: `Run the Lambda server on one port: the control API under /v1/, functions at
http://NAME.DOMAIN:PORT and http://HOST:PORT/fn/NAME/, and /healthz. With
--tls-cert and --tls-key the port speaks HTTPS only (a wildcard certificate for
*.DOMAIN covers every function); --http-redirect adds a plain HTTP port that
redirects to it.

State lives in an embedded SQLite database in the data directory; functions run
as containers on the local Docker engine (DOCKER_HOST is honoured). Running
containers the server did not start that carry lambda.expose=NAME and
lambda.port=PORT (or faas.name and faas.port), such as Docker Compose
services, are served too, their replicas balanced (runtime external).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServer(cmd.Context(), s, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.addr, "addr", opts.addr, "address to listen on (env LAMBDA_ADDR)")
	f.StringVar(&opts.dataDir, "data", opts.dataDir, "data directory (env LAMBDA_DATA)")
	opts.aws.register(f)
	f.StringVar(&opts.domain, "domain", opts.domain, "functions answer at NAME.DOMAIN (env LAMBDA_DOMAIN)")
	f.StringVar(&opts.logLevel, "log-level", opts.logLevel, "debug, info, warn or error (env LAMBDA_LOG_LEVEL)")
	f.StringVar(&opts.logFormat, "log-format", opts.logFormat, "text, or json for one JSON object per line; either way one line per control-API request, with its X-Request-Id (env LAMBDA_LOG_FORMAT)")
	opts.limits = clientLimitOptions{
		readTimeout:       envOr("LAMBDA_READ_TIMEOUT", lhttp.DefaultBodyReadTimeout.String()),
		readHeaderTimeout: envOr("LAMBDA_READ_HEADER_TIMEOUT", lhttp.DefaultReadHeaderTimeout.String()),
		writeTimeout:      envOr("LAMBDA_WRITE_TIMEOUT", lhttp.DefaultWriteTimeout.String()),
	}
	f.StringVar(&opts.limits.readTimeout, "read-timeout", opts.limits.readTimeout, "a function request's body must arrive within this, else 408; the function's timeout starts after it (env LAMBDA_READ_TIMEOUT)")
	f.StringVar(&opts.limits.readHeaderTimeout, "read-header-timeout", opts.limits.readHeaderTimeout, "a request's headers must arrive within this (env LAMBDA_READ_HEADER_TIMEOUT)")
	f.StringVar(&opts.limits.writeTimeout, "write-timeout", opts.limits.writeTimeout, "how long past the function's timeout a client may take to read its response (env LAMBDA_WRITE_TIMEOUT)")
	opts.tls = tlsOptions{cert: os.Getenv("LAMBDA_TLS_CERT"), key: os.Getenv("LAMBDA_TLS_KEY"), httpRedirect: os.Getenv("LAMBDA_HTTP_REDIRECT")}
	f.StringVar(&opts.tls.cert, "tls-cert", opts.tls.cert, "serve HTTPS with this PEM certificate chain, e.g. a wildcard one for *.DOMAIN; reloaded when renewed (env LAMBDA_TLS_CERT)")
	f.StringVar(&opts.tls.key, "tls-key", opts.tls.key, "PEM private key of --tls-cert (env LAMBDA_TLS_KEY)")
	f.StringVar(&opts.tls.httpRedirect, "http-redirect", opts.tls.httpRedirect, "also listen on this address, e.g. :80, and redirect plain HTTP to HTTPS (env LAMBDA_HTTP_REDIRECT)")
	f.StringVar(&opts.maxInstances, "max-instances", opts.maxInstances, "most function instances per host, all functions together; with --backend swarm, per ready node: the cluster's capacity is this times its ready nodes (env LAMBDA_MAX_INSTANCES)")
	f.StringVar(&opts.queueSize, "queue-size", opts.queueSize, "most requests a function queues while its instances are busy; more get 429 (env LAMBDA_QUEUE_SIZE)")
	f.StringVar(&opts.standbyMemory, "standby-memory", opts.standbyMemory, "most memory (the sum of their limits) that paused idle instances may hold, as a size like 2g or a percentage of the host's memory; past it the least recently used stops; 0 disables paused standby (env LAMBDA_STANDBY_MEMORY)")
	f.StringVar(&opts.preinit, "preinit-instances", opts.preinit, "generic instances kept started per runtime image used in the last hour (python, node) and per protocol of the Go functions behind the shim (go), given to a function on a cold start: N for every runtime or RUNTIME=N pairs (python=2,node=0,go=1); 0 disables them (env LAMBDA_PREINIT_INSTANCES)")
	opts.swarm.register(f)
	f.StringVar(&opts.functionsNetwork, "functions-network", opts.functionsNetwork, "bridge: functions reach the internet and the host; none: an internal network, where they reach nothing but the host (env LAMBDA_FUNCTIONS_NETWORK)")
	opts.jobs = jobOptions{
		maxQueued: envOr("LAMBDA_MAX_QUEUED_JOBS", strconv.Itoa(lambda.DefaultMaxQueued)),
		retention: envOr("LAMBDA_INVOCATION_RETENTION", lambda.FormatDuration(lambda.DefaultJobRetention)),
	}
	f.StringVar(&opts.jobs.maxQueued, "max-queued-jobs", opts.jobs.maxQueued, "most asynchronous invocations a function may have waiting to run (queued or waiting for a retry); more get 429 with Retry-After (env LAMBDA_MAX_QUEUED_JOBS)")
	f.StringVar(&opts.jobs.retention, "invocation-retention", opts.jobs.retention, "how long finished asynchronous invocations stay queryable (lambda invocations) before they are pruned: at least 24h, e.g. 168h or 7d (env LAMBDA_INVOCATION_RETENTION)")
	opts.logs = logOptions{retention: envOr("LAMBDA_LOG_RETENTION", "7d"), maxBytes: envOr("LAMBDA_LOG_MAX_BYTES", "50MB")}
	f.StringVar(&opts.logs.retention, "log-retention", opts.logs.retention, "how long functions' log lines are kept (lambda logs), e.g. 24h or 7d (env LAMBDA_LOG_RETENTION)")
	f.StringVar(&opts.logs.maxBytes, "log-max-bytes", opts.logs.maxBytes, "most disk each function's logs take, e.g. 50MB or 1GB; the oldest lines go first (env LAMBDA_LOG_MAX_BYTES)")
	opts.metricsKey = os.Getenv("LAMBDA_METRICS_KEY")
	f.StringVar(&opts.metricsKey, "metrics-key", opts.metricsKey, "secret a Prometheus scraper must send as \"Authorization: Bearer SECRET\" to read /metrics; unset, /metrics is open (env LAMBDA_METRICS_KEY)")
	opts.git.register(f)
	f.StringVar(&opts.keepVersions, "keep-versions", opts.keepVersions, "images kept per function: older versions' images are removed in the background (never the active one's) and they stay listed as pruned (env LAMBDA_KEEP_VERSIONS)")
	f.StringVar(&opts.images.python, "python-image", opts.images.python, "base image of the python runtime (env LAMBDA_PYTHON_IMAGE)")
	f.StringVar(&opts.images.node, "node-image", opts.images.node, "base image of the node runtime (env LAMBDA_NODE_IMAGE)")
	f.StringVar(&opts.images.goBuilder, "go-builder-image", opts.images.goBuilder, "image Go functions compile in when present; else the host's Go (env LAMBDA_GO_BUILDER_IMAGE)")
	return cmd
}

func runServer(ctx context.Context, s *streams, opts serverOptions) error {
	logger, err := newLogger(s.Err, opts.logFormat, opts.logLevel)
	if err != nil {
		return err
	}

	maxInstances, err := strconv.Atoi(opts.maxInstances)
	if err != nil || maxInstances < 1 {
		return fmt.Errorf("--max-instances %q is invalid: use a positive number", opts.maxInstances)
	}
	queueSize, err := strconv.Atoi(opts.queueSize)
	if err != nil || queueSize < 1 {
		return fmt.Errorf("--queue-size %q is invalid: use a positive number", opts.queueSize)
	}
	keepVersions, err := strconv.Atoi(opts.keepVersions)
	if err != nil || keepVersions < 1 {
		return fmt.Errorf("--keep-versions %q is invalid: use a positive number of versions whose images each function keeps", opts.keepVersions)
	}
	standbyMemory, err := parseStandbyMemory(opts.standbyMemory, hostMemory)
	if err != nil {
		return err
	}
	preinit, err := parsePreinit(opts.preinit)
	if err != nil {
		return err
	}
	if opts.functionsNetwork != "bridge" && opts.functionsNetwork != "none" {
		return fmt.Errorf("--functions-network %q is invalid: use bridge (functions reach the internet) or none (they reach nothing but the host)", opts.functionsNetwork)
	}
	jobs, err := opts.jobs.parse()
	if err != nil {
		return err
	}
	logs, err := opts.logs.parse()
	if err != nil {
		return err
	}
	setLimits, err := opts.limits.parse()
	if err != nil {
		return err
	}
	if err := opts.tls.check(); err != nil {
		return err
	}
	if err := opts.swarm.check(); err != nil {
		return err
	}
	if err := opts.swarm.checkManager(ctx); err != nil {
		return err
	}
	if err := opts.aws.check(); err != nil {
		return err
	}
	gitLimits, err := opts.git.parse()
	if err != nil {
		return err
	}
	p, err := openPlatform(ctx, platformOptions{
		dataDir: opts.dataDir, addr: opts.addr, domain: opts.domain,
		logger: logger, images: opts.images, maxInstances: maxInstances, queueSize: queueSize,
		keepVersions: keepVersions, internalNetwork: opts.functionsNetwork == "none", standbyMemory: standbyMemory, swarm: opts.swarm, preinit: preinit,
		maxQueuedJobs: jobs.maxQueued, retention: jobs.retention, metricsKey: opts.metricsKey,
		logRetention: logs.retention, logMaxBytes: logs.maxBytes, git: gitLimits,
		configure: func(srv *lhttp.Server) {
			setLimits(srv)
			srv.TLSCert, srv.TLSKey, srv.HTTPRedirect = opts.tls.cert, opts.tls.key, opts.tls.httpRedirect
			opts.aws.apply(srv, opts.dataDir)
		},
		scheduler: true,
		external:  true,
	})
	if err != nil {
		return err
	}
	logger.Info("Lambda server listening", "addr", opts.addr, "functions", p.srv.FunctionURL("NAME"), "data", opts.dataDir)

	<-ctx.Done()
	logger.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := p.close(shutdown); err != nil {
		logger.Error("shutdown", "err", err)
	}
	return nil
}

// shutdownTimeout bounds a graceful stop: requests in flight drain and
// running asynchronous jobs finish (within the queue's own grace) in it;
// jobs still running past it are queued again at the next start.
const shutdownTimeout = 30 * time.Second

// parse checks the limits before anything is opened; set puts them on
// the server once it exists.
func (o clientLimitOptions) parse() (set func(*lhttp.Server), err error) {
	var d [3]time.Duration
	for i, l := range []struct{ flag, value string }{
		{"--read-timeout", o.readTimeout},
		{"--read-header-timeout", o.readHeaderTimeout},
		{"--write-timeout", o.writeTimeout},
	} {
		d[i], err = time.ParseDuration(l.value)
		if err != nil || d[i] < time.Millisecond {
			return nil, fmt.Errorf("%s %q is invalid: use a duration of at least 1ms, such as 30s", l.flag, l.value)
		}
	}
	return func(srv *lhttp.Server) {
		srv.BodyReadTimeout, srv.ReadHeaderTimeout, srv.WriteTimeout = d[0], d[1], d[2]
	}, nil
}

// extract unpacks a deploy's tree, uploaded or cloned, and then applies
// its .dockerignore and .lambdaignore: a tree cloned from git deploys
// what lambda deploy DIR would have packed from the same checkout (an
// upload packed by the CLI has nothing left to remove).
func extract(r io.Reader, dest string) (string, error) {
	res, err := archive.Extract(r, dest, archive.Limits{})
	if err != nil {
		return "", err
	}
	if err := archive.ApplyIgnore(dest); err != nil {
		return "", err
	}
	return res.SHA256, nil
}

// serverID returns the identity of the server that owns dataDir, created
// on first start. Containers are labelled with it so that servers sharing
// a Docker engine never adopt or remove each other's containers.
func serverID(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "server-id")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	id := hex.EncodeToString(b[:])
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write the server ID in %s: %w", dataDir, err)
	}
	return id, nil
}

// defaultDataDir follows the XDG base directory convention on Linux and
// the platform's convention elsewhere.
func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "lambda")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "lambda-data"
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Application Support", "lambda")
	}
	return filepath.Join(home, ".local", "share", "lambda")
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
