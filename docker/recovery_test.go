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
	target, ok := strings.CutPrefix(real.Host(), "unix://")
	if !ok {
		t.Skipf("Docker is at %s, not on a unix socket", real.Host())
	}
	ping, err := real.cli.Ping(t.Context(), client.PingOptions{})
	if err != nil {
		t.Fatal(err)
	}

	p := &drivertest.SocketProxy{Path: filepath.Join(t.TempDir(), "docker.sock"), Target: target}
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
	time.Sleep(2 * maxBackoff / 5) // let the watcher reconnect

	// Down again mid-life; the instance exits meanwhile (the server talks
	// to it directly, not through Docker).
	p.Down()
	if err := d.Ping(t.Context()); lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
		t.Fatalf("Ping while down again: %v", err)
	}
	httpDo(t, "GET", inst.Addr, "/exit")
	time.Sleep(500 * time.Millisecond)
	_ = os.Remove(p.Path)
	p.Up(t)
	if err := d.Ping(t.Context()); err != nil {
		t.Fatalf("Ping once back again: %v", err)
	}

	// The watcher reconnected by itself and caught up on what it missed.
	deadline := time.After(20 * time.Second)
	for {
		select {
		case id := <-exits:
			if id == inst.ID {
				return
			}
		case <-deadline:
			t.Fatal("WatchExits did not report the exit that happened while Docker was unreachable")
		}
	}
}
