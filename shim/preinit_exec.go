package shim

import (
	"fmt"
	"net/http"
)

// preinitExec is LAMBDA_PREINIT's value for an instance whose command is
// its code: a Go function's binary (the Go SDK, aws-lambda-go or a stdio
// command) arrives with the init, so there is nothing to start before it.
// What such an instance has ready is the container itself, which is most
// of a cold start; the init then runs the protocol as a regular start
// would, and answers once the function is ready.
const preinitExec = "exec"

// runPreinitExec serves the init port at once, takes the one init, and
// runs the protocol with the init's environment; the init learns the
// outcome of the start.
func runPreinitExec(cfg *config) int {
	g := &gate{cfg: cfg, inits: make(chan initRequest, 1), outcome: make(chan string, 1), answered: make(chan struct{})}
	srv := &http.Server{Handler: g, ReadHeaderTimeout: initHeaderWait}
	defer srv.Close()
	ln, err := cfg.listenTCP(cfg.initAddr)
	if err != nil {
		fmt.Fprintf(cfg.stderr, "lambda-shim: cannot listen for the init: %v\n", err)
		return 1
	}
	go func() { _ = srv.Serve(ln) }()
	select {
	case req, ok := <-g.inits:
		if !ok { // refused, and answered
			return 1
		}
		cfg.environ = withoutEnv(initEnviron(cfg.environ, req.env), envPreinit)
		if err := applyEnv(cfg); err != nil {
			fmt.Fprintf(cfg.stderr, "lambda-shim: %v\n", err)
			g.done(err.Error())
			return 1
		}
	case <-cfg.signals:
		return 0
	}
	cfg.ready = g.done
	return run(cfg)
}

// withoutEnv is environ without key: the function's process is not told
// how its container started.
func withoutEnv(environ []string, key string) []string {
	out := environ[:0:0]
	for _, kv := range environ {
		if len(kv) <= len(key) || kv[:len(key)] != key || kv[len(key)] != '=' {
			out = append(out, kv)
		}
	}
	return out
}
