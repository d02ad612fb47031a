package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// TestAsyncDockerDown: jobs accepted while Docker is unreachable wait for
// it without consuming a try (the function allows none) and run once it
// is back.
func TestAsyncDockerDown(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	network, target := drivertest.DockerTarget(t, os.Getenv("DOCKER_HOST"))
	p := &drivertest.SocketProxy{Path: filepath.Join(t.TempDir(), "docker.sock"), Target: target, TargetNetwork: network}
	p.Up(t)
	t.Cleanup(p.Down)
	s := startServer(t, "DOCKER_HOST=unix://"+p.Path)
	name := s.fn("async-dockerdown")
	// No retries: a platform failure counted as the function's would
	// kill the job at once.
	deployAsyncFn(s, name, "--max-retries", "0")

	// Docker goes away, and the function's instance with it: it crashes
	// during a request, so the platform knows it is gone. (A container
	// removed behind the platform's back while Docker is unreachable
	// leaves its address in the pool, which another container may get.)
	p.Down()
	if resp, body := s.request("GET", s.host(name), "/crash", nil); resp.StatusCode < 500 {
		t.Fatalf("GET /crash: %d %s, want the instance to fail", resp.StatusCode, body)
	}
	var ids []string
	for i := range 3 {
		ids = append(ids, mustSubmit(s, name, fmt.Sprintf(`{"tag":"docker-down","n":%d}`, i)))
	}
	// They are tried, and wait.
	waitJob(s, ids[0], 30*time.Second, func(j *lambda.Job) bool { return len(j.History) > 0 })
	time.Sleep(2 * time.Second) // more tries while Docker is away; nothing to wait for
	for _, id := range ids {
		_, j, body := getJob(s, id)
		if j == nil || !j.Pending() || j.Attempts != 0 {
			t.Fatalf("job %s while Docker is down: %s; want it waiting with no try consumed", id, body)
		}
		for _, a := range j.History {
			if a.Counted || a.ErrorType != lambda.EUNAVAILABLE {
				t.Errorf("job %s: attempt %+v while Docker is down, want uncounted and %s", id, a, lambda.EUNAVAILABLE)
			}
		}
	}

	p.Up(t)
	for _, id := range ids {
		// The backoff after a few failures in a row is some seconds.
		j := waitJob(s, id, 90*time.Second, ended)
		if j.Status != lambda.StatusSucceeded || j.Attempts != 1 {
			t.Errorf("job %s after Docker came back: %s after %d attempts, want succeeded after 1: %s", id, j.Status, j.Attempts, describeAttempts(j))
		}
	}
	for _, id := range ids {
		var answer struct{ Function string }
		if _, j, _ := getJob(s, id); j == nil || json.Unmarshal(j.Response, &answer) != nil || answer.Function != name {
			t.Errorf("job %s was answered by function %q, want %s", id, answer.Function, name)
		}
	}
	seen := seenBy(s, name)
	for _, id := range ids {
		if n := seen.Requests[id].Count; n != 1 {
			t.Errorf("the function ran %s %d times, want once", id, n)
		}
	}
	if n := seen.bodiesWith("docker-down"); n != len(ids) {
		t.Errorf("the function ran %d of the jobs' events, want %d", n, len(ids))
	}
	s.mustLambda("delete", name)
}
