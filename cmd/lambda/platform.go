package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/cron"
	"github.com/lambdahq/lambda/docker"
	"github.com/lambdahq/lambda/engine"
	lhttp "github.com/lambdahq/lambda/http"
	"github.com/lambdahq/lambda/runtimes"
	"github.com/lambdahq/lambda/sqlite"
)

// The registry resolves a deploy's config without building, so that a
// deploy that changes nothing publishes nothing.
var _ engine.ConfigResolver = (*runtimes.Registry)(nil)

// platformOptions configure the parts every Lambda server is made of.
type platformOptions struct {
	dataDir, addr, domain string
	logger                *slog.Logger
	images                imageOptions
	maxInstances          int           // 0: the engine's default
	queueSize             int           // 0: the engine's default
	keepVersions          int           // 0: the engine's default
	reapInterval          time.Duration // 0: the engine's default
	// internalNetwork puts functions on an internal Docker network: no
	// route out, only the host (the gateway) reaches them.
	internalNetwork bool
	// namespace labels the server's containers; "" derives it from the
	// data directory (serverID), so a restarted server finds its own.
	namespace string
}

// platform is the store, the Docker driver, the runtimes, the engine and
// the HTTP server wired together: `lambda server` and `lambda bench` both
// run one. The HTTP server is built but not opened, so the caller can add
// what it needs (the scheduler) before traffic arrives.
type platform struct {
	db        *sqlite.DB
	driver    *docker.Driver
	functions *sqlite.FunctionStore
	schedules *sqlite.ScheduleStore
	keys      *sqlite.KeyStore
	audit     *sqlite.AuditStore
	secrets   lambda.KeySecrets
	reg       *runtimes.Registry
	eng       *engine.Engine
	srv       *lhttp.Server
}

// openPlatform opens the store and starts the engine. On error, what was
// opened is closed again.
func openPlatform(ctx context.Context, o platformOptions) (p *platform, err error) {
	p = &platform{}
	defer func() {
		if err != nil {
			_ = p.close(context.Background())
		}
	}()
	p.db = sqlite.NewDB(filepath.Join(o.dataDir, "lambda.db"))
	if err := p.db.Open(ctx); err != nil {
		return nil, fmt.Errorf("open the database in %s: %w", o.dataDir, err)
	}
	if p.driver, err = docker.New(); err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	p.driver.Logger, p.driver.Namespace = o.logger, o.namespace
	if o.internalNetwork {
		p.driver.Network, p.driver.Internal = docker.InternalNetwork, true
	}
	if p.driver.Namespace == "" {
		if p.driver.Namespace, err = serverID(o.dataDir); err != nil {
			return nil, err
		}
	}

	p.functions = sqlite.NewFunctionStore(p.db)
	p.schedules = sqlite.NewScheduleStore(p.db)
	p.keys, p.audit = sqlite.NewKeyStore(p.db), sqlite.NewAuditStore(p.db)
	if p.secrets.Master, err = loadMasterKey(o.dataDir); err != nil {
		return nil, err
	}
	if err := bootstrapAdminKey(ctx, p.keys, p.secrets, o.dataDir, o.logger); err != nil {
		return nil, err
	}
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
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("create the temporary directory in %s: %w", o.dataDir, err)
	}
	p.reg.TempDir = tmp
	p.eng = engine.New(p.functions, p.driver, p.reg, extract)
	p.eng.Logger, p.eng.Images, p.eng.TempDir = o.logger, p.driver, tmp
	if o.maxInstances > 0 {
		p.eng.MaxTotalInstances = o.maxInstances
	}
	if o.queueSize > 0 {
		p.eng.QueueSize = o.queueSize
	}
	if o.keepVersions > 0 {
		p.eng.KeepVersions = o.keepVersions
	}
	if o.reapInterval > 0 {
		p.eng.ReapInterval = o.reapInterval
	}
	if err := p.eng.Open(ctx); err != nil {
		return nil, err
	}

	p.srv = lhttp.NewServer()
	p.srv.Addr, p.srv.Domain, p.srv.Logger = o.addr, o.domain, o.logger
	p.srv.Functions, p.srv.Store, p.srv.Schedules, p.srv.Router, p.srv.Scaling = p.eng, p.functions, p.schedules, p.eng, p.eng
	p.srv.Cron, p.srv.Images, p.srv.Runtimes = cron.Parser{}, p.driver, p.reg
	p.srv.StorePing, p.srv.DockerPing = p.db.Ping, p.driver.Ping
	p.srv.Keys, p.srv.Audit, p.srv.Secrets = p.keys, p.audit, p.secrets
	return p, nil
}

// close stops the HTTP server (waiting for requests until ctx ends), the
// engine, and closes the driver and the store. Instances keep running.
func (p *platform) close(ctx context.Context) error {
	var errs []error
	if p.srv != nil {
		errs = append(errs, p.srv.Close(ctx))
	}
	if p.eng != nil {
		errs = append(errs, p.eng.Close(ctx))
	}
	if p.driver != nil {
		errs = append(errs, p.driver.Close())
	}
	if p.db != nil {
		errs = append(errs, p.db.Close(ctx))
	}
	return errors.Join(errs...)
}
