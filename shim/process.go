package shim

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// process is the long-lived function process of the aws and handler
// protocols.
type process struct {
	cmd    *exec.Cmd
	done   chan struct{} // closed when it exited
	status int           // its exit status, 128+N for signal N; set before done
}

// startProcess starts command with env, its output going through logs to
// stdout and stderr. It gets its own process group, so a timeout kills
// whatever it started too.
func startProcess(command, env []string, l *logs, stdout, stderr io.Writer) (*process, error) {
	outW, errW, err := l.start(stdout, stderr)
	if err != nil {
		return nil, fmt.Errorf("cannot make pipes for the function's output: %w", err)
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = outW, errW
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	outW.Close() // the child holds them now; EOF comes when it exits
	errW.Close()
	if err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		p.status = exitStatus(cmd.ProcessState)
		close(p.done)
	}()
	return p, nil
}

// exitStatus is the status a shell would report.
func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// describeExit words an exit status for messages.
func describeExit(ps *os.ProcessState) string {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("was killed by signal %d (%v)", ws.Signal(), ws.Signal())
	}
	return fmt.Sprintf("exited with status %d", ps.ExitCode())
}

// describe words how the process ended; call it after done.
func (p *process) describe() string { return describeExit(p.cmd.ProcessState) }

// failure is X-Lambda-Instance-Failed for a process that ended; call it
// after done.
func (p *process) failure() string { return "the function process " + p.describe() }

// exit is how the process ended as Go and Lambda word it ("exit status
// 1", "signal: killed"); call it after done.
func (p *process) exit() string { return p.cmd.ProcessState.String() }

// kill kills the process group at once.
func (p *process) kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

// stop asks the process to end with SIGTERM and kills its group if it is
// still running after grace. It returns once the process is gone.
func (p *process) stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		return
	case <-t.C:
	}
	p.kill()
	p.wait(5 * time.Second)
}

// wait waits up to d for the process to end.
func (p *process) wait(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
	}
}
