package sdk

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// process is the program around a function: its arguments, environment
// and outputs, so tests can run it without exiting.
type process struct {
	args    []string
	getenv  func(string) string
	stdout  io.Writer
	stderr  io.Writer
	signals <-chan os.Signal // nil: SIGTERM and SIGINT
	// drainTimeout bounds the wait for in-flight invocations on SIGTERM,
	// stopTimeout Function.Stop: together under the platform's 5 s grace.
	drainTimeout time.Duration
	stopTimeout  time.Duration
}

func osProcess() *process {
	return &process{
		args: os.Args, getenv: os.Getenv, stdout: os.Stdout, stderr: os.Stderr,
		drainTimeout: 2 * time.Second, stopTimeout: 2 * time.Second,
	}
}

// main runs fn, or prints the metadata of served with -info, and returns
// the exit status. setupErr is a mistake in the program found before
// serving, reported as an initialisation error.
func (p *process) main(fn Function, served any, setupErr error, opts []Option) int {
	o := collectOptions(opts)
	if wantsInfo(p.args) {
		if setupErr != nil {
			fmt.Fprintf(p.stderr, "lambda sdk: %v\n", setupErr)
			return 1
		}
		program := "function"
		if len(p.args) > 0 {
			program = p.args[0]
		}
		if err := writeMetadata(p.stdout, metadata(served, o.info, p.getenv, program)); err != nil {
			fmt.Fprintf(p.stderr, "lambda sdk: writing the metadata: %v\n", err)
			return 1
		}
		return 0
	}
	api := p.getenv("AWS_LAMBDA_RUNTIME_API")
	if api == "" {
		fmt.Fprintln(p.stderr, "lambda sdk: AWS_LAMBDA_RUNTIME_API is not set: this program is a function for the Lambda platform; "+
			"deploy it with `lambda deploy`, or run it with -info to print its metadata")
		if setupErr != nil {
			fmt.Fprintf(p.stderr, "lambda sdk: %v\n", setupErr)
		}
		return 1
	}
	client := newRuntimeClient(api, o.concurrency)
	if setupErr != nil {
		return p.initFailed(client, setupErr)
	}
	return p.serve(client, fn, o.concurrency)
}

// wantsInfo looks for -info anywhere, so that programs with flags of their
// own still answer it.
func wantsInfo(args []string) bool {
	for _, a := range args[min(1, len(args)):] {
		switch strings.TrimLeft(a, "-") {
		case "info", "info=true", "info=1":
			if strings.HasPrefix(a, "-") {
				return true
			}
		}
	}
	return false
}

// notify returns a context canceled by SIGTERM or SIGINT.
func (p *process) notify() (context.Context, context.CancelFunc) {
	if p.signals == nil {
		return signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-p.signals:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
