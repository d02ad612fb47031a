package shim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A pre-initialized instance (LAMBDA_PREINIT=1) is started by the platform
// before it knows which function it will serve: the shim and the image's
// interpreter are ready, the task root is an empty tmpfs. One POST /init
// on the init port brings the function's code (a tar) and environment;
// the shim unpacks the code, then runs the protocol as a regular instance
// would. The init port answers every later init with 403: the code and
// environment of an instance are set once, so that nothing (the function's
// own code included) can load another function's code into it (OpenWhisk's
// CVE-2018-11757: its runtimes accepted a second /init).
const (
	envPreinit = "LAMBDA_PREINIT"
	// defaultInitAddr is not $PORT: the gateway forwards every path of a
	// client's request to $PORT, /init included, which belongs to the
	// function.
	defaultInitAddr = ":9002"
	maxInitCode     = 256 << 20 // the code and its dependencies, unpacked
	maxInitEnv      = 1 << 20
	initHeaderWait  = 10 * time.Second
)

// initRequest is the one init an instance accepts.
type initRequest struct {
	env map[string]string
}

// gate serves the init port: one init, then 403 for good.
type gate struct {
	cfg     *config
	claimed atomic.Bool
	inits   chan initRequest
	// outcome receives "" once the function is ready, or why it is not;
	// answered is closed once the init's answer is written.
	outcome  chan string
	answered chan struct{}
	once     sync.Once
}

// runPreinit serves the init port and runs the protocol: the function
// process starts at once (its interpreter loads while no function is
// chosen) and asks the Runtime API's /preinit for the function's
// environment, which is answered once the init brought the code.
func runPreinit(cfg *config) int {
	g := &gate{cfg: cfg, inits: make(chan initRequest, 1), outcome: make(chan string, 1), answered: make(chan struct{})}
	srv := &http.Server{Handler: g, ReadHeaderTimeout: initHeaderWait}
	defer srv.Close()
	// The init port opens once the process asked for its init (/preinit):
	// the platform counts the instance ready when it accepts, and an
	// interpreter still loading (seconds for Node on a busy host) would
	// make the init wait for it.
	cfg.openInit = func() error {
		ln, err := cfg.listenTCP(cfg.initAddr)
		if err != nil {
			return fmt.Errorf("cannot listen for the init: %w", err)
		}
		go func() { _ = srv.Serve(ln) }()
		return nil
	}
	cfg.inits, cfg.ready = g.inits, g.done
	return run(cfg)
}

// done tells the init's caller the outcome, once, and waits (bounded)
// for the answer to be written: the shim may exit right after.
func (g *gate) done(problem string) {
	g.once.Do(func() {
		g.outcome <- problem
		select {
		case <-g.answered:
		case <-time.After(2 * time.Second):
		}
	})
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/init" {
		writeErrorDoc(w, http.StatusNotFound, "NotFound", "the init port serves POST /init only")
		return
	}
	// Claimed before the request is read: two inits racing get one 403.
	if !g.claimed.CompareAndSwap(false, true) {
		writeErrorDoc(w, http.StatusForbidden, "AlreadyInitialized", "this instance was initialized already: an instance runs the code of one function, set once")
		return
	}
	defer func() {
		// Written out before the shim may exit.
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		close(g.answered)
	}()
	env, err := g.receive(r)
	if err != nil {
		// The instance has an unknown part of some code now: it must not
		// serve; the platform stops it once the answer is out.
		fmt.Fprintf(g.cfg.stderr, "lambda-shim: the init was refused: %v\n", err)
		writeErrorDoc(w, http.StatusBadRequest, "InvalidInit", err.Error())
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		close(g.inits)
		return
	}
	g.inits <- initRequest{env: env}
	select {
	case problem := <-g.outcome:
		if problem != "" {
			writeErrorDoc(w, http.StatusBadGateway, "InitFailed", problem)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case <-r.Context().Done():
	}
}

// receive reads the init's multipart body: an "env" part (a JSON object
// of strings) and a "code" part (a tar unpacked into the task root), in
// that order.
func (g *gate) receive(r *http.Request) (map[string]string, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, errors.New("the init must be multipart/form-data with an env and a code part")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var env map[string]string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read the init: %w", err)
		}
		switch part.FormName() {
		case "env":
			env, err = parseInitEnv(io.LimitReader(part, maxInitEnv+1))
		case "code":
			if env == nil {
				return nil, errors.New("the init's env part must come before its code")
			}
			root := taskRoot(g.cfg.environ)
			if err = extractCode(part, root, maxInitCode); err == nil {
				err = sealCode(root)
			}
		default:
			err = fmt.Errorf("the init has an unknown part %q", part.FormName())
		}
		if err != nil {
			return nil, err
		}
	}
	if env == nil {
		return nil, errors.New("the init has no env part")
	}
	return env, nil
}

// parseInitEnv reads a JSON object of environment variables.
func parseInitEnv(r io.Reader) (map[string]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("cannot read the init's env: %w", err)
	}
	if len(data) > maxInitEnv {
		return nil, errors.New("the init's env is over 1 MB")
	}
	env := map[string]string{}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("the init's env is not a JSON object of strings: %w", err)
	}
	for k, v := range env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.Contains(v, "\x00") {
			return nil, fmt.Errorf("the init's env has an invalid variable %q", k)
		}
	}
	return env, nil
}

// initEnviron is the container's environment with the init's on top; the
// container's PORT and LAMBDA_PREINIT stay (the instance listens where it
// was created to).
func initEnviron(environ []string, env map[string]string) []string {
	out := make([]string, 0, len(environ)+len(env))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if _, set := env[k]; !set || k == "PORT" {
			out = append(out, kv)
		}
	}
	for k, v := range env {
		if k != "PORT" && k != envPreinit {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// taskRoot is where the code goes: the image's LAMBDA_TASK_ROOT.
func taskRoot(environ []string) string {
	if dir, ok := lookupEnv(environ, "LAMBDA_TASK_ROOT"); ok && dir != "" {
		return dir
	}
	return "/var/task"
}

// preinitRequested reports whether the container asks for an init first.
func preinitRequested(environ []string) bool {
	v, _ := lookupEnv(environ, envPreinit)
	return v == "1" || v == preinitExec
}

// applyInit makes the init's environment the function's and lets the
// process waiting on /preinit go on.
func (s *runtimeServer) applyInit(req initRequest, apiAddr string) error {
	s.cfg.environ = initEnviron(s.cfg.environ, req.env)
	if err := applyEnv(s.cfg); err != nil {
		return err
	}
	env := commandEnv(s.cfg.environ, s.cfg.fn, apiAddr)
	s.initEnv = make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		s.initEnv[k] = v
	}
	delete(s.initEnv, envPreinit)
	close(s.preinitDone)
	return nil
}

// awaitPreinit holds a Runtime API call of a pre-initialized instance's
// process until the init is applied; false when the caller went away.
func (s *runtimeServer) awaitPreinit(r *http.Request) bool {
	if s.preinitDone == nil {
		return true
	}
	select {
	case <-s.preinitDone:
		return true
	case <-r.Context().Done():
		return false
	}
}

// preinit answers, once the init is applied, with the function's
// environment: the bootstraps' first call in a pre-initialized instance.
func (s *runtimeServer) preinit(w http.ResponseWriter, r *http.Request) {
	if s.preinitDone == nil {
		writeErrorDoc(w, http.StatusNotFound, "NotFound", "this instance is not a pre-initialized one")
		return
	}
	s.openInit.Do(func() {
		if err := s.cfg.openInit(); err != nil {
			s.fail(err.Error())
		}
	})
	if !s.awaitPreinit(r) {
		return
	}
	body, _ := json.Marshal(s.initEnv)
	writeBody(w, http.StatusOK, "application/json", body)
}
