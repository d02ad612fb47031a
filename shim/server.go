package shim

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// runtimeServer runs the aws and handler protocols: one function process,
// the Runtime API it polls, and the HTTP server on $PORT feeding it.
type runtimeServer struct {
	cfg      *config
	aws      bool // Function URL events and Lambda's raw results
	q        *queue
	logs     logs
	initOnce sync.Once
	initDone chan struct{} // closed by the first /next
	fatal    chan string   // why the instance must stop (timeout, init error)
	proc     *process      // set before the HTTP server starts
	// preinitDone is closed once a pre-initialized instance's init set
	// the function's code and initEnv, its process's environment
	// (preinit.go); nil for the others.
	preinitDone chan struct{}
	initEnv     map[string]string
	openInit    sync.Once // the first /preinit opens the init port
	// failed says why the instance stopped serving, once it has: the
	// X-Lambda-Instance-Failed of answers to requests that arrive after.
	failed atomic.Pointer[string]
}

// settleTimeout bounds how long an answer to a failed invocation waits to
// learn whether the function process survived the failure.
var settleTimeout = time.Second

func runRuntime(cfg *config) int {
	s := &runtimeServer{cfg: cfg, aws: cfg.protocol == protoAWS, initDone: make(chan struct{}), fatal: make(chan string, 4)}
	if cfg.inits != nil {
		s.preinitDone = make(chan struct{})
	}
	s.q = newQueue(s.timedOut)
	apiLn, err := net.Listen("tcp", cfg.runtimeAPI)
	if err != nil {
		s.notReady("cannot serve the Runtime API: %v", err)
		return 1
	}
	api := &http.Server{Handler: s.apiHandler(), ErrorLog: s.errorLog()}
	go func() { _ = api.Serve(apiLn) }()
	defer api.Close()

	env := commandEnv(cfg.environ, cfg.fn, apiLn.Addr().String())
	proc, err := startProcess(cfg.command, env, &s.logs, cfg.stdout, cfg.stderr)
	if err != nil {
		s.notReady("cannot start the function: %v (is the command in the image, and executable?)", err)
		return 1
	}
	s.proc = proc
	defer s.logs.snapshot() // copy the process's last words before the shim goes
	if st, done := s.awaitInit(apiLn.Addr().String()); done {
		return st
	}
	ln, err := cfg.listenTCP(cfg.addr)
	if err != nil {
		s.notReady("cannot listen: %v", err)
		proc.kill()
		proc.wait(5 * time.Second)
		return 1
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       10 * time.Minute, // longer than the gateway's, so it closes first
		ErrorLog:          s.errorLog(),
	}
	go func() { _ = srv.Serve(ln) }()
	s.tellReady("")
	return s.supervise(srv, proc)
}

// awaitInit waits until the function asks for its first event; a
// pre-initialized instance takes its init meanwhile. done: the shim must
// exit with status st.
func (s *runtimeServer) awaitInit(apiAddr string) (st int, done bool) {
	cfg, proc := s.cfg, s.proc
	inits := cfg.inits
	for {
		select {
		case <-s.initDone:
			return 0, false
		case req, ok := <-inits:
			inits = nil
			if !ok { // refused, and answered
				proc.kill()
				proc.wait(5 * time.Second)
				return 1, true
			}
			if err := s.applyInit(req, apiAddr); err != nil {
				s.notReady("%v", err)
				proc.kill()
				proc.wait(5 * time.Second)
				return 1, true
			}
		case reason := <-s.fatal: // printed already
			s.tellReady(reason)
			proc.stop(time.Second)
			return 1, true
		case <-proc.done:
			s.logs.snapshot() // copy its last words to the logs before we go
			s.notReady("the function process %s before asking for its first event: initialisation failed", proc.describe())
			return 1, true
		case <-cfg.signals:
			s.tellReady("the instance was stopped during its initialisation")
			proc.stop(cfg.shutdownTimeout)
			return 0, true
		}
	}
}

// supervise serves until the process exits, an invocation times out or a
// signal asks the shim to stop, and returns the exit status.
func (s *runtimeServer) supervise(srv *http.Server, proc *process) int {
	var drained chan error
	for {
		select {
		case <-proc.done:
			s.logs.snapshot()
			s.logf("the function process %s", proc.describe())
			return s.stop(srv, proc, "the function process "+proc.describe()+" during the invocation", proc.failure(), proc.exit(), proc.status)
		case reason := <-s.fatal:
			proc.kill()
			proc.wait(5 * time.Second)
			return s.stop(srv, proc, reason, "the function process was stopped: "+reason, "", 1)
		case <-s.cfg.signals:
			if drained == nil {
				// Stop accepting, let the requests in the shim finish
				// (bounded), and only then stop the process, as Lambda
				// shuts a sandbox down between invocations.
				drained = make(chan error, 1)
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), s.cfg.shutdownTimeout)
					defer cancel()
					drained <- srv.Shutdown(ctx)
				}()
			}
		case <-drained:
			proc.stop(2 * time.Second)
			return s.stop(srv, proc, "the function instance was stopped", "the function instance was stopped", "", 0)
		}
	}
}

// stop ends the instance: the running invocation fails with reason, the
// waiting requests get 503, all with failure in X-Lambda-Instance-Failed,
// and the answers get a moment to be written: Shutdown waits for the
// handlers that have a request, so the gateway learns from them that the
// instance is gone rather than from a refused connection. exit is how the
// process ended when it died by itself (a crash of the running invocation).
func (s *runtimeServer) stop(srv *http.Server, proc *process, reason, failure, exit string, status int) int {
	s.failed.Store(&failure)
	s.q.close(
		result{kind: resFailure, errType: "Runtime.ExitError", message: reason, tail: s.logs.snapshot(), instanceFailed: failure, exit: exit},
		result{kind: resUnavailable, message: "the function instance stopped before this request reached it: retry it", instanceFailed: failure},
	)
	proc.kill() // whatever the process left behind in its group
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	srv.Close()
	return status
}

// timedOut ends the running invocation inv at its deadline; the process
// is then killed, as Lambda discards a timed-out sandbox.
func (s *runtimeServer) timedOut(inv *invocation) {
	if s.finish(inv, result{kind: resTimeout, instanceFailed: "the invocation timed out: the function process is being stopped"}) {
		s.fail(fmt.Sprintf("invocation %s: %s: stopping the function process", inv.id, inv.timeoutMessage()))
	}
}

// fail prints why the instance must stop and tells supervise.
func (s *runtimeServer) fail(reason string) {
	s.logf("%s", reason)
	select {
	case s.fatal <- reason:
	default:
	}
}

// notReady prints why the instance could not start and tells the init
// of a pre-initialized instance.
func (s *runtimeServer) notReady(format string, args ...any) {
	s.logf(format, args...)
	tail := strings.TrimSpace(string(s.logs.snapshot()))
	msg := fmt.Sprintf(format, args...)
	if tail != "" {
		msg += "; last output:\n" + tail
	}
	s.tellReady(msg)
}

// tellReady reports the start's outcome to a pre-initialized instance's
// init ("" ready).
func (s *runtimeServer) tellReady(problem string) {
	if s.cfg.ready != nil {
		s.cfg.ready(problem)
	}
}

func (s *runtimeServer) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.stderr, "lambda-shim: "+format+"\n", args...)
}

func (s *runtimeServer) errorLog() *log.Logger {
	return log.New(s.cfg.stderr, "lambda-shim: ", 0)
}
