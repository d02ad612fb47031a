package http

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// Server serves the control API (/v1/), the gateway (NAME.DOMAIN and
// /fn/NAME/) and /healthz on one listener.
type Server struct {
	Addr   string // listen address, e.g. ":8080"
	Domain string // functions answer at NAME.Domain

	Functions lambda.FunctionService
	// Projects deploys projects (project_deploy.go); nil: Functions, if it
	// is one, else not offered.
	Projects lambda.ProjectService
	// GitDeploys deploys trees cloned from git (deploy_git.go); nil:
	// Functions, if it is one, else git trees deploy as one function.
	GitDeploys lambda.GitDeployer
	Scaling    lambda.ScalingService
	Store      lambda.FunctionStore
	// Lookup checks the function of an asynchronous submission; nil:
	// Store is read.
	Lookup lambda.FunctionLookup
	// External lists the functions that containers found by their labels
	// serve (runtime external); nil: none.
	External  lambda.ExternalFunctions
	Schedules lambda.ScheduleStore
	Images    lambda.ImageDriver    // lists deployable images; nil: not offered
	Runtimes  lambda.RuntimeService // lists and prepares runtimes; nil: not offered
	// Hooks registers push-to-deploy webhooks and takes their deliveries
	// (hook.go); nil: not offered.
	Hooks  lambda.HookService
	Router lambda.Router
	// Invoker runs every invocation the server receives (gateway, invoke,
	// Invoke API, cron); nil: one over Router is made when the handler is
	// built.
	Invoker *Invoker
	// Async accepts and answers for asynchronous invocations; nil: they
	// are refused as not implemented.
	Async lambda.AsyncService
	// History keeps the records of recent synchronous invocations, listed
	// with the jobs (invocations_history.go); nil: jobs only.
	History lambda.InvocationHistory
	// Logs keeps the functions' output (logs.go); nil: not offered.
	Logs lambda.LogStore
	// Stats answers for the functions' history (stats.go); nil: not
	// offered.
	Stats  lambda.StatsService
	Cron   lambda.CronParser
	Logger *slog.Logger
	// UI holds the dashboard's files, served at /ui/ (ui.go); nil: not
	// offered.
	UI fs.FS

	// ScheduleService validates and creates schedules, for the schedule
	// API and deploys; nil: one over Schedules and Cron is made when the
	// handler is built.
	ScheduleService lambda.ScheduleService

	// Keys authenticate every control request (Bearer, SigV4 on the Invoke
	// API) and Audit records every control-plane write. Without Keys no
	// key is valid: the server refuses every control request.
	Keys    lambda.KeyStore
	Audit   lambda.AuditStore
	Secrets lambda.KeySecrets

	// AWSCode keeps the code and settings of functions deployed through
	// the Lambda API (awsapi_*.go); nil: its deploys are refused.
	// AWSRegion and AWSAccount name this server in the ARNs it answers
	// ("": DefaultAWSRegion, DefaultAWSAccount).
	AWSCode    lambda.CodeStore
	AWSRegion  string
	AWSAccount string
	aws        *awsState

	// SchedulesChanged is called after schedules are created or deleted.
	SchedulesChanged func()
	// Metrics serves GET /metrics (nil: 501); MetricsKey, when set, is the
	// Bearer secret a scraper needs (metrics.go).
	Metrics    http.Handler
	MetricsKey string

	// StorePing and DockerPing back /healthz.
	StorePing  func(ctx context.Context) error
	DockerPing func(ctx context.Context) error
	// Cluster, when set, lists the nodes of a cluster backend for /healthz.
	Cluster func(ctx context.Context) ([]lambda.Node, error)
	// Capacity, when set, tells /healthz the backend's instance capacity
	// and its use (-1: not known yet).
	Capacity func() (capacity, used int)

	// Limits on slow or oversized clients (NewServer sets the defaults).
	// ReadHeaderTimeout bounds the arrival of a request's headers and
	// BodyReadTimeout that of a function request's body, which the gateway
	// reads before it takes an instance (408 past it). WriteTimeout is how
	// long past the function's deadline a client may take to read its
	// answer. MaxHeaderBytes bounds the request line and headers (431).
	ReadHeaderTimeout time.Duration
	BodyReadTimeout   time.Duration
	WriteTimeout      time.Duration
	MaxHeaderBytes    int

	// TLSCert and TLSKey (PEM files) make the server speak HTTPS only;
	// HTTPRedirect, when set, is an address whose plain HTTP requests are
	// redirected to it (tls.go).
	TLSCert, TLSKey string
	HTTPRedirect    string

	ln       net.Listener
	redirect *http.Server
	srv      *http.Server
	front    *front // serves plain HTTP function requests (front.go); nil with TLS
	mux      *http.ServeMux
	gateway  *gateway
	handler  http.Handler
	build    sync.Once // builds the invoker, the gateway and the routes
	done     chan error

	streams streams // ends followed logs at shutdown

	registered []route        // every route, for the tests that walk them
	failures   failureLimiter // failed authentications per address
	authOff    bool           // only openForTest sets it: no authentication at all
}

// Defaults of the client limits.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultBodyReadTimeout   = 30 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	// DefaultMaxHeaderBytes is generous for any browser or SDK (AWS's own
	// front ends allow 10 to 64 KB) and keeps what an idle connection can
	// make the server hold small.
	DefaultMaxHeaderBytes = 64 << 10
)

// NewServer returns a Server with defaults; set the services before Open.
func NewServer() *Server {
	return &Server{
		Addr: ":8080", Domain: "localhost", Logger: slog.Default(), SchedulesChanged: func() {},
		ReadHeaderTimeout: DefaultReadHeaderTimeout, BodyReadTimeout: DefaultBodyReadTimeout,
		WriteTimeout: DefaultWriteTimeout, MaxHeaderBytes: DefaultMaxHeaderBytes,
	}
}

// Open listens on Addr and serves in the background.
func (s *Server) Open(ctx context.Context) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Addr, err)
	}
	s.ln = ln
	var served net.Listener = ln
	if s.TLSCert != "" || s.TLSKey != "" {
		if served, err = s.tlsListener(ln); err != nil {
			ln.Close()
			return err
		}
	}
	if err := s.openRedirect(ctx); err != nil {
		ln.Close()
		return err
	}
	s.srv = &http.Server{
		Handler:           boundUnreadBody(s.Handler()),
		ReadHeaderTimeout: s.ReadHeaderTimeout,
		// No ReadTimeout or WriteTimeout: they would bound deploy uploads
		// and streamed answers alike. The gateway bounds a function
		// request's body and answer itself.
		MaxHeaderBytes: s.MaxHeaderBytes,
		IdleTimeout:    2 * time.Minute,
		ConnState:      clearWriteDeadline,
		ErrorLog:       slog.NewLogLogger(s.Logger.Handler(), slog.LevelDebug),
	}
	s.srv.RegisterOnShutdown(s.streams.stop)
	s.done = make(chan error, 1)
	srv := s.srv // Close may set s.srv to nil before this goroutine runs
	if served == ln {
		s.front = newFront(s, ln)
		served = s.front.handoff
	}
	go func() { s.done <- srv.Serve(jsonErrorListener{Listener: served, maxHeaderBytes: s.MaxHeaderBytes}) }()
	return nil
}

// Close stops accepting connections and waits for in-flight requests until
// ctx ends.
func (s *Server) Close(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	srv := s.srv
	s.srv = nil // a second Close has nothing left to do
	if s.redirect != nil {
		_ = s.redirect.Close() // redirects have nothing in flight worth waiting for
	}
	if s.front != nil {
		s.front.close(ctx)
	}
	err := srv.Shutdown(ctx)
	if s.aws != nil {
		// The Lambda API's deploys in the background end with the server.
		if cerr := s.aws.close(ctx); err == nil {
			err = cerr
		}
	}
	if serveErr := <-s.done; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return err
}

// Port returns the port the server listens on (useful with ":0").
func (s *Server) Port() int {
	if s.ln == nil {
		return 0
	}
	return s.ln.Addr().(*net.TCPAddr).Port
}

// FunctionURL is where function name answers by subdomain. A name with
// "--" answers at live--NAME: NAME.DOMAIN is read as ALIAS--NAME
// (qualifiedHost), another function's alias.
func (s *Server) FunctionURL(name string) string {
	if strings.Contains(name, "--") {
		name = lambda.AliasLive + "--" + name
	}
	return s.Scheme() + "://" + name + "." + s.Domain + s.portSuffix()
}

// PathURL is where function name answers by path on the server's host.
func (s *Server) PathURL(name string) string {
	if s.Scheme() == "https" {
		// A certificate names the domain, never localhost.
		return "https://" + s.Domain + s.portSuffix() + "/fn/" + name
	}
	return "http://localhost" + s.portSuffix() + "/fn/" + name
}

func (s *Server) portSuffix() string {
	if p := s.Port(); p != 0 && !(p == 80 && s.Scheme() == "http") && !(p == 443 && s.Scheme() == "https") {
		return fmt.Sprintf(":%d", p)
	}
	return ""
}

// Handler routes by Host first: NAME.DOMAIN always reaches the function,
// whatever the path, so a function owns its whole URL space.
//
// The first call builds the invoker (unless one was given), the gateway
// and the route table, exactly once even when calls race; Open makes it,
// and so do tests on a server never opened. It cannot happen in
// NewServer, whose caller sets the services (Router, Invoker, Logger,
// limits) afterwards; changes to them after the first call are not seen.
func (s *Server) Handler() http.Handler {
	s.build.Do(func() {
		if s.Invoker == nil {
			s.Invoker = NewInvoker(s.Router, s.Logger)
		}
		if s.ScheduleService == nil {
			s.ScheduleService = lambda.NewScheduleManager(s.Schedules, s.Cron)
		}
		s.gateway = newGateway(s.Invoker, clientLimits{bodyRead: s.BodyReadTimeout, responseWrite: s.WriteTimeout})
		s.gateway.authorizer = s.invokeAuthorizer
		s.mux = s.routes()
		s.handler = http.HandlerFunc(s.serveHost)
	})
	return s.handler
}

func (s *Server) serveHost(w http.ResponseWriter, r *http.Request) {
	name, ok, err := functionFromHost(r.Host, s.Domain)
	switch {
	case err != nil:
		writeError(w, r, s.Logger, err)
	case ok:
		// ALIAS--NAME: an alias or version of NAME (host_alias.go).
		name, q, err := qualifiedHost(name)
		if err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		s.gateway.serve(w, withQualifier(r, q), name, "")
	default:
		s.mux.ServeHTTP(w, r)
	}
}

func (s *Server) handlePathInvoke(w http.ResponseWriter, r *http.Request) {
	// NAME@ALIAS: an alias or version of NAME (host_alias.go).
	segment := r.PathValue("name")
	name, q, err := qualifiedPath(segment)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	s.gateway.serve(w, withQualifier(r, q), name, "/fn/"+segment)
}
