package docker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda/drivertest"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/client"
)

func TestRecoversWhenDockerComesBack(t *testing.T) {
	real := newTestDriver(t) // skips without Docker
	network, target := drivertest.DockerTarget(t, real.Host())
	ping, err := real.cli.Ping(t.Context(), client.PingOptions{})
	if err != nil {
		t.Fatal(err)
	}

	p := &drivertest.SocketProxy{Path: filepath.Join(t.TempDir(), "docker.sock"), Target: target, TargetNetwork: network}
	t.Cleanup(p.Down)
	t.Setenv("DOCKER_HOST", "unix://"+p.Path)
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	// Down from the start: negotiation fails along with everything else.
	if err := d.Ping(t.Context()); lambda.ErrorCode(err) != lambda.EUNAVAILABLE || !strings.Contains(err.Error(), p.Path) {
		t.Fatalf("Ping while down: %v, want EUNAVAILABLE naming %s", err, p.Path)
	}
	if _, err := d.ListInstances(t.Context()); lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
		t.Fatalf("ListInstances while down: %v", err)
	}
	exits, err := d.WatchExits(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	p.Up(t)
	if _, err := d.ListInstances(t.Context()); err != nil {
		t.Fatalf("ListInstances once Docker is back: %v", err)
	}
	if got := d.cli.ClientVersion(); ping.APIVersion < client.MaxAPIVersion && got != ping.APIVersion {
		t.Errorf("API version %s after recovery, want the daemon's %s", got, ping.APIVersion)
	}

	img := testImage(t, d)
	inst := startTest(t, d, lambda.InstanceSpec{Function: "recover", Version: 1, Image: img, Port: 8080})
	httpDo(t, "GET", inst.Addr, "/env/PORT")
	// The watcher has reconnected once it reports an exit that happens
	// now: the outage below then breaks a live stream.
	probe := startTest(t, d, lambda.InstanceSpec{Function: "recover-probe", Version: 1, Image: img, Port: 8080})
	if err := d.StopInstance(t.Context(), probe.ID, 0); err != nil {
		t.Fatal(err)
	}
	waitExit(t, exits, probe.ID, "the watcher did not reconnect after Docker came back")

	// Down again mid-life; the instance exits meanwhile (the server talks
	// to it directly, not through Docker).
	p.Down()
	if err := d.Ping(t.Context()); lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
		t.Fatalf("Ping while down again: %v", err)
	}
	httpDo(t, "GET", inst.Addr, "/exit")
	waitNotRunning(t, real, inst.ID) // through the real socket: the proxy is down
	_ = os.Remove(p.Path)
	p.Up(t)
	if err := d.Ping(t.Context()); err != nil {
		t.Fatalf("Ping once back again: %v", err)
	}

	// The watcher reconnected by itself and caught up on what it missed.
	waitExit(t, exits, inst.ID, "WatchExits did not report the exit that happened while Docker was unreachable")
}

// waitExit waits (bounded) for exits to report the container id.
func waitExit(t *testing.T, exits <-chan lambda.Exit, id, failure string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case exit, ok := <-exits:
			if !ok {
				t.Fatalf("%s: the exits channel closed", failure)
			}
			if exit.ID == id {
				return
			}
		case <-deadline:
			t.Fatal(failure)
		}
	}
}

// waitNotRunning polls d (bounded) until the container id has stopped.
func waitNotRunning(t *testing.T, d *Driver, id string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		res, err := d.cli.ContainerInspect(t.Context(), id, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatalf("inspect %s: %v", id, err)
		}
		if res.Container.State != nil && !res.Container.State.Running {
			return
		}
		select {
		case <-t.Context().Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("container %s still runs 20s after /exit", id)
}
