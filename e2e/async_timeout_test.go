package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestInvokeCallTimeout: a per-call timeout shortens the function's for
// that call, sync or async, and never lengthens it.
func TestInvokeCallTimeout(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("call-timeout")
	deployAsyncFn(s, name, "--timeout", "2s", "--max-retries", "0")
	const slow = `{"sleep":"1500ms"}` // within the function's 2 s

	s.mustLambda("invoke", name, "--data", slow)
	res := s.lambda("invoke", name, "--timeout", "500ms", "--data", slow)
	if res.code == 0 || !strings.Contains(res.stderr, "timed out") {
		t.Errorf("invoke --timeout 500ms of a 1.5 s call: exit %d\n%s%s\nwant a timeout", res.code, res.stdout, res.stderr)
	}
	// Never longer than the function's own 2 s.
	res = s.lambda("invoke", name, "--timeout", "10s", "--data", `{"sleep":"3s"}`)
	if res.code == 0 || !strings.Contains(res.stderr, "timed out") {
		t.Errorf("invoke --timeout 10s of a 3 s call to a 2 s function: exit %d\n%s%s\nwant a timeout", res.code, res.stdout, res.stderr)
	}

	ok := mustSubmit(s, name, slow)
	st, h, b := apiCall(s, "POST", "/v1/functions/"+name+"/invocations?timeout=500ms", []byte(slow), nil)
	if st != 202 {
		t.Fatalf("submit with ?timeout=500ms: %d %s", st, b)
	}
	short := strings.TrimPrefix(h.Get("Location"), "/v1/invocations/")
	cli := strings.TrimSpace(s.mustLambda("invoke", name, "--async", "--timeout", "500ms", "--data", slow).stdout)
	if j := waitJob(s, ok, 30*time.Second, ended); j.Status != lambda.StatusSucceeded {
		t.Errorf("a 1.5 s job of a 2 s function: %s: %s", j.Status, describeAttempts(j))
	}
	j := waitJob(s, short, 30*time.Second, ended)
	if j.Status != lambda.StatusDead || j.Attempts != 1 || j.ErrorType != lambda.ETIMEOUT || time.Duration(j.Timeout) != 500*time.Millisecond {
		t.Errorf("a 1.5 s job given 500 ms: %s after %d attempts, error %q, timeout %s; want dead, 1, %s, 500ms: %s", j.Status, j.Attempts, j.ErrorType, j.Timeout, lambda.ETIMEOUT, describeAttempts(j))
	}
	if j := waitJob(s, cli, 30*time.Second, ended); j.Status != lambda.StatusDead || j.ErrorType != lambda.ETIMEOUT {
		t.Errorf("lambda invoke --async --timeout 500ms of a 1.5 s job: %s, error %q; want dead, %s", j.Status, j.ErrorType, lambda.ETIMEOUT)
	}
	// --wait says how a job that failed ended, exiting non-zero, with
	// the function's answer.
	res = s.lambda("invoke", name, "--async", "--wait", "--data", `{"fail":-1}`)
	if res.code == 0 || !strings.Contains(res.stderr, "dead") || !strings.Contains(res.stdout+res.stderr, "failing attempt 1") {
		t.Errorf("lambda invoke --async --wait of a job that fails: exit %d\nstdout: %s\nstderr: %s\nwant non-zero, dead, the function's answer", res.code, res.stdout, res.stderr)
	}
	s.mustLambda("delete", name)
}
