package e2e

import (
	"strings"
	"testing"
	"time"
)

// Clients that follow a flooding function's logs and never read must not
// hold the server's shutdown: with three of them and 5 MB printed, a stop
// took 32 s and ended in "ERROR shutdown err=context deadline exceeded",
// their handlers stuck in socket writes.
func TestHostileStalledFollowersDoNotHoldShutdown(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t)
	name := s.fn("hlogstop")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
	waitLogs(t, s, name, "fixture listening")
	followRaw(t, s, name, 3)
	if resp, _ := s.request("GET", s.host(name), "/flood?mb=5", nil); resp.StatusCode != 200 {
		t.Fatalf("flood: %d", resp.StatusCode)
	}
	time.Sleep(time.Second) // the followers' sockets fill

	start := time.Now()
	if err := s.shutdown(); err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	t.Logf("stopped in %s", d.Round(time.Millisecond))
	if d > 15*time.Second {
		t.Errorf("the server took %s to stop with stalled followers", d.Round(time.Millisecond))
	}
	if logs := s.logs.String(); strings.Contains(logs, "level=ERROR") {
		t.Errorf("the stop logged an error:\n%s", lastLines(logs, 20))
	}
}
