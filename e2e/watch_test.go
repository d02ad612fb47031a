package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// watchHandler is a Python function that answers, and logs, one word.
func watchHandler(word string) string {
	return "def handler(event, context):\n" +
		"    print(\"serving " + word + "\", flush=True)\n" +
		"    return {\"answer\": \"" + word + "\"}\n"
}

// lambda deploy --watch, through the real binary against real Docker:
// two saved edits are each served once deployed (the test waits for the
// answer to change: no timed assertion), a broken edit leaves the last
// answer serving and says what failed, the function's logs stream in
// between, and Ctrl-C (SIGINT) ends the watch with exit 0.
func TestDeployWatch(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("watch")
	dir := filepath.Join(t.TempDir(), "fn")
	write := func(content string) {
		t.Helper()
		// As an editor saving: a temporary file renamed over the handler.
		tmp := filepath.Join(dir, ".handler.py.tmp~")
		if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "handler.py")); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(watchHandler("one"))

	var out, errOut syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "--server", s.url(""), "deploy", dir, "--watch", "--name", name, "--runtime", "python")
	cmd.Env = s.cliEnv()
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		s.lambda("delete", name)
	})
	failed := func(what string) {
		t.Helper()
		t.Fatalf("%s\nstdout:\n%s\nstderr:\n%s", what, out.String(), errOut.String())
	}
	answer := func() string {
		res := s.lambda("invoke", name, "--data", "{}")
		var a struct{ Answer string }
		if res.code != 0 || json.Unmarshal([]byte(res.stdout), &a) != nil {
			return ""
		}
		return a.Answer
	}
	waitAnswer := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Minute)
		for answer() != want {
			select {
			case err := <-exited:
				failed("the watch exited: " + errString(err))
			default:
			}
			if time.Now().After(deadline) {
				failed("the answer did not become " + want)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitText := func(buf *syncBuffer, text string) {
		t.Helper()
		waitFor(t, 5*time.Minute, func() bool { return strings.Contains(buf.String(), text) })
	}

	waitAnswer("one")
	waitText(&errOut, "Watching "+dir)
	// The logs stream between deploys, from when the watch began to
	// follow them: invoked until a line of one arrives.
	waitFor(t, 5*time.Minute, func() bool {
		answer()
		return strings.Contains(out.String(), "serving one")
	})

	write(watchHandler("two"))
	waitAnswer("two")
	waitText(&errOut, "deployed "+name+" version 2 in ")
	write(watchHandler("three"))
	waitAnswer("three")
	waitText(&errOut, "deployed "+name+" version 3 in ")

	// A syntax error: the deploy fails, says why, and "three" still serves.
	write("def handler(event, context)\n    return {}\n")
	waitText(&errOut, "deploy failed after ")
	if !strings.Contains(errOut.String(), "SyntaxError") || !strings.Contains(errOut.String(), fmt.Sprintf("version 3 of %q still serves", name)) {
		failed("the failed deploy does not say what failed and what serves")
	}
	if got := answer(); got != "three" {
		failed("after a broken edit the function answers " + got + ", want three")
	}
	write(watchHandler("four"))
	waitAnswer("four")
	waitText(&out, "serving four")

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			failed("Ctrl-C: " + err.Error())
		}
	case <-time.After(time.Minute):
		failed("the watch did not stop within a minute of Ctrl-C")
	}
	if !strings.Contains(errOut.String(), "Stopped watching.") {
		failed("no stop line")
	}
}

func errString(err error) string {
	if err == nil {
		return "exit 0"
	}
	return err.Error()
}
