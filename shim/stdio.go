package shim

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stdioServer runs the stdio protocol: one run of the command per
// request, body on stdin, stdout as the response.
type stdioServer struct {
	cfg  *config
	env  []string      // the command's environment without the request's
	sem  chan struct{} // a slot per parallel run
	runs context.Context
}

func runStdio(cfg *config) int {
	runs, stopRuns := context.WithCancel(context.Background())
	defer stopRuns()
	s := &stdioServer{cfg: cfg, env: commandEnv(cfg.environ, cfg.fn, ""), sem: make(chan struct{}, cfg.maxConcurrency), runs: runs}
	ln, err := cfg.listenTCP(cfg.addr)
	if err != nil {
		fmt.Fprintf(cfg.stderr, "lambda-shim: cannot listen: %v\n", err)
		if cfg.ready != nil {
			cfg.ready(fmt.Sprintf("cannot listen: %v", err))
		}
		return 1
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       10 * time.Minute,
		ErrorLog:          (&runtimeServer{cfg: cfg}).errorLog(),
	}
	go func() { _ = srv.Serve(ln) }()
	if cfg.ready != nil { // a pre-initialized instance's init (preinit_exec.go)
		cfg.ready("")
	}
	<-cfg.signals
	// Stop accepting and let the runs in progress finish, bounded; then
	// kill what is left and give the handlers a moment to answer.
	ctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	err = srv.Shutdown(ctx)
	cancel()
	if err != nil {
		stopRuns()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = srv.Shutdown(ctx)
		cancel()
		srv.Close()
	}
	return 0
}

func (s *stdioServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	inv, err := newInvocation(r, time.Now(), s.cfg.timeout)
	if err != nil {
		writeStdioError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	w.Header().Set(hdrRequestID, inv.id)
	body := getBuffer()
	defer putBuffer(body)
	if status, msg := readRequestBody(r, body); status != 0 {
		code := "invalid"
		if status == http.StatusRequestEntityTooLarge {
			code = "too_large"
		}
		writeStdioError(w, status, code, msg)
		return
	}
	inv.bodyLen = body.Len()
	if !s.acquire(r.Context(), inv) {
		if r.Context().Err() == nil {
			writeStdioError(w, http.StatusGatewayTimeout, "timeout", "timed out waiting for a free slot to run the command")
		}
		return
	}
	defer func() { <-s.sem }()
	s.run(w, r, inv, body.Bytes())
}

// acquire waits for a run slot until inv's deadline.
func (s *stdioServer) acquire(ctx context.Context, inv *invocation) bool {
	select {
	case s.sem <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(time.Until(inv.deadline))
	defer t.Stop()
	select {
	case s.sem <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// run runs the command once for the request and answers with its output.
func (s *stdioServer) run(w http.ResponseWriter, r *http.Request, inv *invocation, body []byte) {
	ctx, cancel := context.WithDeadline(s.runs, inv.deadline)
	defer cancel()
	stdout := getBuffer()
	defer putBuffer(stdout)
	stderr := ringPool.Get().(*ring)
	defer ringPool.Put(stderr)
	stderr.reset()

	cmd := exec.CommandContext(ctx, s.cfg.command[0], s.cfg.command[1:]...)
	cmd.Env = cgiEnv(s.env, r, inv)
	cmd.Stdin = bytes.NewReader(body)
	out := &cappedWriter{buf: stdout, overflow: cancel}
	cmd.Stdout = out
	logs := &lineFramer{dst: s.cfg.stderr, id: inv.id}
	defer logs.Close()
	cmd.Stderr = teeWriter{logs, stderr}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second // for output held open by children it left behind
	err := cmd.Run()

	tail := stderr.bytes()
	if inv.tail {
		w.Header().Set(hdrLogResult, base64.StdEncoding.EncodeToString(tail))
	}
	if peak := peakMemory(); peak != "" {
		w.Header().Set(hdrMaxMemoryUsed, peak)
	}
	var exitErr *exec.ExitError
	switch {
	case out.over:
		writeStdioError(w, http.StatusBadGateway, "function_error", withTail("the command's output is over the 6 MB limit", tail))
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		writeStdioError(w, http.StatusGatewayTimeout, "timeout", withTail(fmt.Sprintf("command timed out after %.2f seconds", inv.deadline.Sub(inv.received).Seconds()), tail))
	case err != nil && s.runs.Err() != nil:
		w.Header().Set(hdrInstanceFailed, "the function instance was stopped during the run")
		writeStdioError(w, http.StatusServiceUnavailable, "unavailable", "the function instance was stopped during the run")
	case errors.As(err, &exitErr):
		writeStdioError(w, http.StatusBadGateway, "function_error", withTail("command "+describeStdioExit(exitErr), tail))
	case err != nil && !errors.Is(err, exec.ErrWaitDelay):
		writeStdioError(w, http.StatusBadGateway, "function_error", "cannot run the command: "+err.Error())
	default:
		ct := "text/plain; charset=utf-8"
		if json.Valid(stdout.Bytes()) {
			ct = "application/json"
		}
		writeBody(w, http.StatusOK, ct, stdout.Bytes())
	}
}

// describeStdioExit words a failed run as the contract shows it.
func describeStdioExit(e *exec.ExitError) string {
	if ws, ok := e.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("was killed by signal %d (%v)", ws.Signal(), ws.Signal())
	}
	return fmt.Sprintf("exited with status %d", e.ExitCode())
}

func withTail(msg string, tail []byte) string {
	if t := strings.TrimSpace(string(tail)); t != "" {
		return msg + ": " + t
	}
	return msg
}

// writeStdioError answers in the platform's error shape.
func writeStdioError(w http.ResponseWriter, status int, code, msg string) {
	if status == http.StatusBadGateway || status == http.StatusGatewayTimeout {
		w.Header().Set(hdrFunctionError, "Unhandled")
	}
	b := make([]byte, 0, 64+len(msg))
	b = append(b, `{"error":{`...)
	b = appendStringField(b, "code", code, true)
	b = appendStringField(b, "message", msg, false)
	b = append(b, "}}"...)
	writeBody(w, status, "application/json", b)
}

var ringPool = sync.Pool{New: func() any { return new(ring) }}

// cappedWriter keeps up to maxPayload bytes and calls overflow (once)
// when the output goes past it.
type cappedWriter struct {
	buf      *bytes.Buffer
	overflow func()
	over     bool
}

func (c *cappedWriter) Write(p []byte) (int, error) {
	if c.buf.Len()+len(p) > maxPayload {
		if !c.over {
			c.over = true
			c.overflow()
		}
		return 0, errTooLarge
	}
	return c.buf.Write(p)
}

// teeWriter writes to both; the logs must not stop the run.
type teeWriter struct {
	logs  interface{ Write([]byte) (int, error) }
	stash *ring
}

func (t teeWriter) Write(p []byte) (int, error) {
	_, _ = t.logs.Write(p)
	return t.stash.Write(p)
}
