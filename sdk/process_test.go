package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run the public Start and Run in a copy of the test binary
// (os.Args[0]) to observe what only a process shows: exit statuses,
// signals, stderr.

const childEnv = "SDK_TEST_CHILD"

// child re-runs the current test in a subprocess with SDK_TEST_CHILD set.
func child(t *testing.T, env []string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^" + t.Name() + "$", "--"}, args...)...)
	// atexit_sleep_ms: a race-enabled binary otherwise idles 1 s on exit.
	cmd.Env = append(os.Environ(), append(env, childEnv+"=1", "GORACE=atexit_sleep_ms=0")...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stdout, &stderr
}

func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the child did not exit")
		return -1
	}
}

func TestProcessPanicExits2(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		Start(func(ctx context.Context, e map[string]any) (any, error) { panic("boom") })
		return
	}
	f := newFakeRuntime(t)
	cmd, _, stderr := child(t, []string{"AWS_LAMBDA_RUNTIME_API=" + f.api()})
	doc := f.invoke(t, `{}`).errorDoc(t)
	if doc.Message != "boom" || doc.Type != "string" || len(doc.StackTrace) == 0 {
		t.Errorf("error %+v", doc)
	}
	if code := exitCode(t, cmd); code != 2 {
		t.Errorf("exit status %d, want 2; stderr:\n%s", code, stderr)
	}
	if s := stderr.String(); !strings.Contains(s, "panic: boom") || !strings.Contains(s, "TestProcessPanicExits2") {
		t.Errorf("stderr lacks the panic and its stack:\n%s", s)
	}
}

type stopPrinter struct{ counter }

func (*stopPrinter) Stop(context.Context) error {
	fmt.Println("stopped cleanly")
	return nil
}

func TestProcessSIGTERMRunsStop(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		Run(&stopPrinter{})
		return
	}
	f := newFakeRuntime(t)
	cmd, stdout, stderr := child(t, []string{"AWS_LAMBDA_RUNTIME_API=" + f.api()})
	if got := f.invoke(t, `{}`).response(t); got != `{"runs":1,"worker":1}` {
		t.Errorf("response %s", got)
	}
	for deadline := time.Now().Add(10 * time.Second); f.nexts.Load() < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the child did not ask for the next invocation")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd); code != 0 {
		t.Errorf("exit status %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout.String(), "stopped cleanly") {
		t.Errorf("Stop did not run; stdout:\n%s", stdout)
	}
}

func TestProcessInfo(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		Start(func(ctx context.Context, e addEvent) (float64, error) { return e.A + e.B, nil }, Info{Name: "adder"})
		return
	}
	cmd, stdout, stderr := child(t, nil, "-info")
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", code, stderr)
	}
	var m Metadata
	if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	if m.Name != "adder" || m.Style != "handler" || len(m.Params) != 3 || m.Params[0].Name != "a" {
		t.Errorf("metadata %+v", m)
	}
}

func TestProcessBadHandlerExits1(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		Start(func(a, b int) {})
		return
	}
	f := newFakeRuntime(t)
	cmd, _, stderr := child(t, []string{"AWS_LAMBDA_RUNTIME_API=" + f.api()})
	if doc := f.initError(t); !strings.Contains(doc.Message, "the first must be context.Context") {
		t.Errorf("init error %+v", doc)
	}
	if code := exitCode(t, cmd); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "initialisation failed") {
		t.Errorf("stderr:\n%s", stderr)
	}
}
