// Package shim is the in-container shim of the aws, handler and stdio
// protocols: it serves HTTP on $PORT and either implements the AWS Lambda
// Runtime API for one long-lived function process or forks a command per
// request. docs/runtime-contract.md is its specification.
//
// The package imports nothing but the standard library: its source (Source)
// is compiled inside Docker builds that have no module cache.
package shim

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Limits and defaults of the contract.
const (
	maxPayload             = 6 << 20 // request and response bodies, as in AWS Lambda
	tailBytes              = 4 << 10 // X-Lambda-Log-Result and stderr in stdio errors
	defaultPort            = 8080
	defaultRuntimeAPI      = "127.0.0.1:9001"
	defaultMaxConcurrency  = 16
	defaultTimeout         = 30 * time.Second
	defaultShutdownTimeout = 8 * time.Second // under Docker's default 10 s stop timeout
)

const (
	protoAWS     = "aws"
	protoHandler = "handler"
	protoStdio   = "stdio"
)

// config is everything a run needs; tests build it directly.
type config struct {
	protocol        string
	addr            string // public listen address
	runtimeAPI      string // Runtime API listen address (aws, handler)
	maxConcurrency  int    // parallel runs (stdio)
	shutdownTimeout time.Duration
	timeout         time.Duration // per invocation, when no deadline header comes
	command         []string
	environ         []string // the container's environment
	fn              function
	stdout, stderr  io.Writer
	signals         <-chan os.Signal
	// A pre-initialized instance (preinit.go) waits for its init on
	// initAddr; ready then learns the outcome of the start ("" once the
	// function is ready, else why it failed).
	preinit  bool
	initAddr string
	inits    <-chan initRequest // closed: the init was refused
	openInit func() error       // opens the init port
	ready    func(problem string)
	// listen opens a TCP listener on an address (net.Listen when nil):
	// tests hand over a port they hold, so no other process can take it
	// between choosing it and the shim's listen.
	listen func(addr string) (net.Listener, error)
}

// listenTCP listens on addr with cfg.listen, else net.Listen.
func (cfg *config) listenTCP(addr string) (net.Listener, error) {
	if cfg.listen != nil {
		return cfg.listen(addr)
	}
	return net.Listen("tcp", addr)
}

const usage = `usage: lambda-shim --protocol aws|handler|stdio [flags] -- COMMAND [ARGS...]

Serves HTTP on --port and runs COMMAND behind it (see docs/runtime-contract.md).

`

// Main runs the shim with the command-line arguments args (without the
// program name) and returns its exit status.
func Main(args []string) int {
	cfg, err := parseConfig(args, os.Environ(), os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "lambda-shim: %v\n", err)
		return 2
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	cfg.signals = sigs
	cfg.stdout, cfg.stderr = os.Stdout, os.Stderr
	return run(cfg)
}

func run(cfg *config) int {
	if cfg.preinit && cfg.ready == nil {
		if v, _ := lookupEnv(cfg.environ, envPreinit); v == preinitExec {
			return runPreinitExec(cfg)
		}
		return runPreinit(cfg)
	}
	if cfg.protocol == protoStdio {
		return runStdio(cfg)
	}
	return runRuntime(cfg)
}

// parseConfig reads the flags and the container's environment.
func parseConfig(args, environ []string, output io.Writer) (*config, error) {
	cfg := &config{environ: environ}
	port := defaultPort
	if p, ok := lookupEnv(environ, "PORT"); ok && p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("PORT=%q is not a port number 1-65535", p)
		}
		port = n
	}
	fs := flag.NewFlagSet("lambda-shim", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.Usage = func() {
		fmt.Fprint(output, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.protocol, "protocol", "", "aws, handler or stdio (required)")
	fs.IntVar(&port, "port", port, "port to serve HTTP on ($PORT sets the default)")
	fs.StringVar(&cfg.runtimeAPI, "runtime-api", defaultRuntimeAPI, "address of the Runtime API given to COMMAND (aws, handler)")
	fs.IntVar(&cfg.maxConcurrency, "max-concurrency", defaultMaxConcurrency, "parallel runs of COMMAND (stdio)")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", defaultShutdownTimeout, "on SIGTERM, how long in-flight requests may take to finish")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	cfg.command = fs.Args()
	switch {
	case cfg.protocol == "":
		return nil, errors.New("--protocol is required: use aws, handler or stdio")
	case cfg.protocol != protoAWS && cfg.protocol != protoHandler && cfg.protocol != protoStdio:
		return nil, fmt.Errorf("--protocol %q is not supported: use aws, handler or stdio", cfg.protocol)
	case len(cfg.command) == 0:
		return nil, errors.New("no command given: put it after the flags, e.g. lambda-shim --protocol aws -- /var/task/bootstrap")
	case port < 1 || port > 65535:
		return nil, fmt.Errorf("--port %d is out of range 1-65535", port)
	case cfg.maxConcurrency < 1:
		return nil, fmt.Errorf("--max-concurrency %d must be at least 1", cfg.maxConcurrency)
	case cfg.shutdownTimeout < 0:
		return nil, fmt.Errorf("--shutdown-timeout %s must not be negative", cfg.shutdownTimeout)
	}
	cfg.addr = ":" + strconv.Itoa(port)
	cfg.initAddr = defaultInitAddr
	cfg.preinit = preinitRequested(environ)
	if v, _ := lookupEnv(environ, envPreinit); cfg.preinit && cfg.protocol == protoStdio && v != preinitExec {
		return nil, errors.New("LAMBDA_PREINIT=1 is for the aws and handler protocols: a stdio command starts per request (LAMBDA_PREINIT=exec)")
	}
	if err := applyEnv(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// applyEnv reads what the function's environment configures; a
// pre-initialized instance reads it again once its init set it.
func applyEnv(cfg *config) error {
	cfg.timeout = defaultTimeout
	if ms, ok := lookupEnv(cfg.environ, "LAMBDA_FUNCTION_TIMEOUT_MS"); ok && ms != "" {
		n, err := strconv.ParseInt(ms, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("LAMBDA_FUNCTION_TIMEOUT_MS=%q is not a positive number of milliseconds", ms)
		}
		cfg.timeout = time.Duration(n) * time.Millisecond
	}
	cfg.fn = functionFromEnv(cfg.environ)
	return nil
}

// lookupEnv is os.LookupEnv over an environment list; the last entry wins,
// as it does for exec.
func lookupEnv(environ []string, key string) (string, bool) {
	for i := len(environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
