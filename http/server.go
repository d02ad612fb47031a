package http

import (
	"context"
	"errors"
	"fmt"
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
	Scaling   lambda.ScalingService
	Store     lambda.FunctionStore
	Schedules lambda.ScheduleStore
	Images    lambda.ImageDriver    // lists deployable images; nil: not offered
	Runtimes  lambda.RuntimeService // lists and prepares runtimes; nil: not offered
	Router    lambda.Router
	Cron      lambda.CronParser
	Logger    *slog.Logger

	// SchedulesChanged is called after schedules are created or deleted.
	SchedulesChanged func()
	// StorePing and DockerPing back /healthz.
	StorePing  func(ctx context.Context) error
	DockerPing func(ctx context.Context) error

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
	mux      *http.ServeMux
	gateway  *gateway
	done     chan error

	schedulesMu sync.Mutex // serializes schedule checks and inserts (limit, duplicates)
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
		Handler:           s.Handler(),
		ReadHeaderTimeout: s.ReadHeaderTimeout,
		// No ReadTimeout or WriteTimeout: they would bound deploy uploads
		// and streamed answers alike. The gateway bounds a function
		// request's body and answer itself.
		MaxHeaderBytes: s.MaxHeaderBytes,
		IdleTimeout:    2 * time.Minute,
		ErrorLog:       slog.NewLogLogger(s.Logger.Handler(), slog.LevelDebug),
	}
	s.done = make(chan error, 1)
	srv := s.srv // Close may set s.srv to nil before this goroutine runs
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
	err := srv.Shutdown(ctx)
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

// FunctionURL is where function name answers by subdomain.
func (s *Server) FunctionURL(name string) string {
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
func (s *Server) Handler() http.Handler {
	if s.mux == nil {
		s.gateway = newGateway(s.Router, s.Logger, clientLimits{bodyRead: s.BodyReadTimeout, responseWrite: s.WriteTimeout})
		s.mux = s.routes()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok, err := functionFromHost(r.Host, s.Domain)
		switch {
		case err != nil:
			writeError(w, r, s.Logger, err)
		case ok:
			s.gateway.serve(w, r, name, invocation{})
		default:
			s.mux.ServeHTTP(w, r)
		}
	})
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("/fn/{name}", s.handlePathInvoke)
	mux.HandleFunc("/fn/{name}/{path...}", s.handlePathInvoke)
	mux.HandleFunc("POST /v1/functions/{name}/deploy", s.handleDeploy)
	mux.HandleFunc("GET /v1/functions", s.handleListFunctions)
	mux.HandleFunc("GET /v1/functions/{name}", s.handleGetFunction)
	mux.HandleFunc("DELETE /v1/functions/{name}", s.handleDeleteFunction)
	mux.HandleFunc("GET /v1/functions/{name}/versions", s.handleListVersions)
	mux.HandleFunc("POST /v1/functions/{name}/rollback", s.handleRollback)
	mux.HandleFunc("PATCH /v1/functions/{name}/scaling", s.handleScaling)
	mux.HandleFunc("POST /v1/functions/{name}/invoke", s.handleInvoke)
	mux.HandleFunc("POST /2015-03-31/functions/{function}/invocations", s.handleLambdaInvoke)
	mux.HandleFunc("GET /v1/images", s.handleListImages)
	mux.HandleFunc("GET /v1/runtimes", s.handleListRuntimes)
	mux.HandleFunc("POST /v1/runtimes/prepare", s.handlePrepareRuntimes)
	mux.HandleFunc("POST /v1/schedules", s.handleCreateSchedule)
	mux.HandleFunc("GET /v1/schedules", s.handleListSchedules)
	mux.HandleFunc("DELETE /v1/schedules/{id}", s.handleDeleteSchedule)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.ENOTFOUND, "no route for %s %s; functions answer at NAME.%s or /fn/NAME", r.Method, r.URL.Path, s.Domain))
	})
	return mux
}

func (s *Server) handlePathInvoke(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := lambda.ValidateName(name); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	s.gateway.serve(w, r, name, invocation{prefix: "/fn/" + name})
}

// handleInvoke POSTs the payload to the function's root path as a direct
// invocation (the body is the event), as `lambda invoke` and the cron
// scheduler do.
func (s *Server) handleInvoke(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := lambda.ValidateName(name); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	r.URL.Path, r.URL.RawPath = "/", ""
	if r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/json")
	}
	s.gateway.serve(w, r, name, invocation{raw: true, logTail: r.Header.Get(HeaderLogType) == "Tail"})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	h := Health{Status: "ok", Store: "ok", Docker: "ok"}
	if err := s.StorePing(ctx); err != nil {
		h.Status, h.Store = "degraded", err.Error()
	}
	if err := s.DockerPing(ctx); err != nil {
		h.Status, h.Docker = "degraded", strings.TrimSpace(err.Error())
	}
	status := http.StatusOK
	if h.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	respondJSON(w, status, h)
}
