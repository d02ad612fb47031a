package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPausedStandby, on a server of its own whose paused instances may
// hold 100 MiB: a function idle past its idle timeout keeps its container,
// paused (docker inspect State.Paused); a request resumes it and is served
// by the same container without a cold start; lambda describe and the
// metrics show it paused. A second function's instance, paused later,
// takes the budget past 100 MiB (64 MiB each): the least recently used,
// the first one's, is stopped and removed, and its next request is a cold
// start. At shutdown the server leaves no paused container behind.
func TestPausedStandby(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t, "LAMBDA_STANDBY_MEMORY=100m")
	first, second := s.fn("standby-a"), s.fn("standby-b")

	paused := func(id string) bool {
		return docker(t, "inspect", "-f", "{{.State.Paused}}", id) == "true"
	}
	onlyContainer := func(name string) string {
		t.Helper()
		ids := s.containers(name, true)
		if len(ids) != 1 {
			t.Fatalf("%s has containers %v, want exactly one", name, ids)
		}
		return ids[0]
	}
	serve := func(name string) (cold string) {
		t.Helper()
		start := time.Now()
		resp, body := s.request("GET", s.host(name), "/", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", name, resp.StatusCode, body)
		}
		t.Logf("%s answered in %s (cold start %s)", name, time.Since(start).Round(time.Microsecond), resp.Header.Get("X-Lambda-Cold-Start"))
		return resp.Header.Get("X-Lambda-Cold-Start")
	}

	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", first, "--memory", "64m")
	serve(first)
	id := onlyContainer(first)
	s.mustLambda("config", first, "--idle-timeout", "1s", "--standby-timeout", "10m")
	waitFor(t, 30*time.Second, func() bool { return paused(id) })
	if res := s.mustLambda("describe", first); !regexp.MustCompile(`(?m)^` + id[:12] + `\s+1\s+paused\s`).MatchString(res.stdout) {
		t.Errorf("describe does not show the instance paused:\n%s", res.stdout)
	}
	m := scrapeMetrics(t, s, "")
	if got := m.value("lambda_instances", "function", first, "state", "paused"); got != 1 {
		t.Errorf(`lambda_instances{state="paused"} = %v, want 1`, got)
	}

	// A request resumes the paused container and is served by it.
	if cold := serve(first); cold != "false" {
		t.Errorf("the request to the paused function: cold start %q, want false (resumed)", cold)
	}
	if got := onlyContainer(first); got != id {
		t.Errorf("served by container %s, want the paused %s resumed", got, id)
	}
	waitFor(t, 30*time.Second, func() bool { return paused(id) }) // idle again

	// A second paused instance exceeds the budget: the least recently used
	// one, the first function's, is stopped and removed.
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", second, "--memory", "64m")
	serve(second)
	other := onlyContainer(second)
	s.mustLambda("config", second, "--idle-timeout", "1s")
	waitFor(t, 30*time.Second, func() bool { return paused(other) })
	waitFor(t, 30*time.Second, func() bool { return len(s.containers(first, true)) == 0 })
	if !strings.Contains(s.logs.String(), "exceed the standby memory budget") {
		t.Error("the server did not log why it stopped the paused instance")
	}
	if !paused(other) {
		t.Error("the most recently used paused instance was not kept")
	}
	if cold := serve(first); cold != "true" {
		t.Errorf("the evicted function's next request: cold start %q, want true", cold)
	}

	// A graceful shutdown stops the paused instances.
	waitFor(t, 30*time.Second, func() bool { return paused(other) })
	s.stop()
	if left := s.containers(second, true); len(left) != 0 {
		t.Errorf("after shutdown the paused instance's container is left: %v", left)
	}
}

// TestPausedStandbyAfterCrash: a server killed (SIGKILL) while an instance
// is paused leaves it paused; the restarted server unpauses and adopts it,
// and it serves without a cold start.
func TestPausedStandbyAfterCrash(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t)
	name := s.fn("standby-crash")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
	ids := s.containers(name, true)
	if len(ids) != 1 {
		t.Fatalf("containers after the deploy: %v", ids)
	}
	id := ids[0]
	inspectPaused := func() string { return docker(t, "inspect", "-f", "{{.State.Paused}}", id) }
	s.mustLambda("config", name, "--idle-timeout", "1s")
	waitFor(t, 30*time.Second, func() bool { return inspectPaused() == "true" })
	// A long idle timeout for the restarted server: the adopted instance
	// must not be paused again before the request checks it.
	s.mustLambda("config", name, "--idle-timeout", "10m")
	s.kill()
	if inspectPaused() != "true" {
		t.Fatal("the killed server's paused container is not paused any more")
	}
	s.start()
	waitFor(t, 30*time.Second, func() bool { return inspectPaused() == "false" })
	resp, body := s.request("GET", s.host(name), "/", nil)
	if resp.StatusCode != 200 || resp.Header.Get("X-Lambda-Cold-Start") != "false" {
		t.Errorf("after the restart: %d cold=%q %s, want the adopted instance", resp.StatusCode, resp.Header.Get("X-Lambda-Cold-Start"), body)
	}
	if got := s.containers(name, true); len(got) != 1 || got[0] != id {
		t.Errorf("containers after the restart: %v, want the adopted %s", got, id)
	}
}
