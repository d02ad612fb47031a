package docker

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
	"github.com/moby/moby/client"
)

// isolatedDriver is a real driver on a network of its own, removed at the
// end, so tests can inspect and break the network freely.
func isolatedDriver(t *testing.T) *Driver {
	d := newTestDriver(t)
	d.Network = "lambda-test-" + randSuffix()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, _ := d.cli.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("name", d.Network)})
		for _, n := range res.Items {
			_, _ = d.cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{})
		}
	})
	return d
}

// testImage builds the drivertest server image and removes it at the end.
func testImage(t *testing.T, d *Driver) string {
	t.Helper()
	tag := "drivertest-docker-" + randSuffix() + ":v1"
	id, err := d.BuildImage(t.Context(), lambda.BuildRequest{Context: strings.NewReader(string(drivertest.TestImage(t))), Tags: []string{tag}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.RemoveImage(context.Background(), tag) })
	return id
}

func startTest(t *testing.T, d *Driver, spec lambda.InstanceSpec) *lambda.Instance {
	t.Helper()
	inst, err := d.StartInstance(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.StopInstance(context.Background(), inst.ID, 0) })
	return inst
}

func TestInstanceHardening(t *testing.T) {
	d := isolatedDriver(t)
	img := testImage(t, d)
	inst := startTest(t, d, lambda.InstanceSpec{Function: "hard", Version: 3, Image: img, Port: 9000, MemoryBytes: 32 << 20})

	res, err := d.cli.ContainerInspect(t.Context(), inst.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, hc := res.Container, res.Container.HostConfig
	checks := []struct {
		what string
		ok   bool
	}{
		{"user 1000:1000", c.Config.User == "1000:1000"},
		{"all capabilities dropped", len(hc.CapDrop) == 1 && hc.CapDrop[0] == "ALL" && len(hc.CapAdd) == 0},
		{"no-new-privileges", len(hc.SecurityOpt) == 1 && hc.SecurityOpt[0] == "no-new-privileges"},
		{"read-only root", hc.ReadonlyRootfs},
		{"tmpfs /tmp", hc.Tmpfs["/tmp"] == "size=64m,mode=1777"},
		{"init process", hc.Init != nil && *hc.Init},
		{"memory limit", hc.Memory == 32<<20},
		{"no swap", hc.MemorySwap == hc.Memory},
		{"default pids limit", hc.PidsLimit != nil && *hc.PidsLimit == DefaultPidsLimit},
		{"default cpu shares", hc.CPUShares == DefaultCPUShares},
		{"nofile ulimit", len(hc.Ulimits) == 1 && hc.Ulimits[0].Name == "nofile" && hc.Ulimits[0].Hard == 1024},
		{"no restart", hc.RestartPolicy.Name == "no"},
		{"not privileged", !hc.Privileged},
		{"labels", c.Config.Labels[lambda.LabelManaged] == "true" && c.Config.Labels[lambda.LabelFunction] == "hard" && c.Config.Labels[lambda.LabelVersion] == "3"},
		{"name", strings.HasPrefix(c.Name, "/lambda-hard-v3-") && len(c.Name) == len("/lambda-hard-v3-")+6},
		{"only the dedicated network", len(c.NetworkSettings.Networks) == 1 && c.NetworkSettings.Networks[d.Network] != nil},
		{"address on that network", inst.Addr == c.NetworkSettings.Networks[d.Network].IPAddress.String()+":9000"},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("container is not hardened as required: %s", ch.what)
		}
	}

	// And from the inside.
	if got := httpDo(t, "GET", inst.Addr, "/id"); got != "200 uid=1000 gid=1000" {
		t.Errorf("GET /id = %q", got)
	}
	if got := httpDo(t, "POST", inst.Addr, "/write?path=/x"); !strings.HasPrefix(got, "403") {
		t.Errorf("writing to the root filesystem: %q, want it refused", got)
	}
	if got := httpDo(t, "POST", inst.Addr, "/write?path=/tmp/x"); got != "200 written" {
		t.Errorf("writing to /tmp: %q, want success", got)
	}

	net, err := d.cli.NetworkInspect(t.Context(), d.Network, client.NetworkInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := net.Network
	if n.Driver != "bridge" || n.Labels[lambda.LabelManaged] != "true" || n.Options["com.docker.network.bridge.enable_icc"] != "false" {
		t.Errorf("network %s: driver %s, labels %v, options %v; want a managed bridge without inter-container traffic", n.Name, n.Driver, n.Labels, n.Options)
	}
}

// httpDo waits for addr to answer and returns "STATUS BODY".
func httpDo(t *testing.T, method, addr, path string) string {
	t.Helper()
	var last error
	for range 100 {
		req, _ := http.NewRequestWithContext(t.Context(), method, "http://"+addr+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return strings.TrimSuffix(resp.Status[:3]+" "+string(b), "\n")
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s %s: %v", method, path, last)
	return ""
}

func TestNetworkRecreatedWhenRemoved(t *testing.T) {
	d := isolatedDriver(t)
	img := testImage(t, d)
	spec := lambda.InstanceSpec{Function: "net", Version: 1, Image: img, Port: 8080}
	first := startTest(t, d, spec)
	if err := d.StopInstance(t.Context(), first.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := d.cli.NetworkRemove(t.Context(), d.Network, client.NetworkRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	second := startTest(t, d, spec)
	if got := httpDo(t, "GET", second.Addr, "/env/PORT"); got != "200 8080" {
		t.Errorf("instance on the recreated network answered %q", got)
	}
}

func TestNetworkCreationIsRaceSafe(t *testing.T) {
	// Two drivers stand for two servers starting at once: Docker 20.10
	// would happily create two networks with the same name.
	a := isolatedDriver(t)
	b := newTestDriver(t)
	b.Network = a.Network
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		d := a
		if i%2 == 1 {
			d = b
		}
		wg.Go(func() {
			id, err := d.ensureNetwork(t.Context())
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("drivers disagree on the network: %v", ids)
		}
	}
	res, err := a.cli.NetworkList(t.Context(), client.NetworkListOptions{Filters: make(client.Filters).Add("name", a.Network)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 {
		t.Errorf("%d networks named %s remain, want 1", len(res.Items), a.Network)
	}
}

func TestStartFailureRemovesContainer(t *testing.T) {
	d := isolatedDriver(t)
	ctx := bytes.NewReader(drivertest.Tar(t,
		drivertest.File{Name: "Dockerfile", Data: []byte("FROM scratch\nCOPY server /server\nENTRYPOINT [\"/nonexistent\"]\n")},
		drivertest.File{Name: "server", Data: []byte("not a program"), Mode: 0o755},
	))
	tag := "drivertest-nostart-" + randSuffix() + ":v1"
	if _, err := d.BuildImage(t.Context(), lambda.BuildRequest{Context: ctx, Tags: []string{tag}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.RemoveImage(context.Background(), tag) })
	inst, err := d.StartInstance(t.Context(), lambda.InstanceSpec{Function: "nostart", Version: 1, Image: tag, Port: 8080})
	if err == nil {
		// The init process started, so Docker reported success; the exec of
		// the entrypoint failed just after. That must show as an exit
		// whose log names the entrypoint.
		defer func() { _ = d.StopInstance(context.Background(), inst.ID, 0) }()
		deadline := time.Now().Add(10 * time.Second)
		for {
			list, _ := d.ListInstances(t.Context())
			running := false
			for _, in := range list {
				running = running || (in.ID == inst.ID && in.Running)
			}
			if !running {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("an image without its entrypoint kept running")
			}
			time.Sleep(50 * time.Millisecond)
		}
		if logs, _ := d.InstanceLogs(t.Context(), inst.ID, 20); !strings.Contains(logs, "nonexistent") {
			t.Errorf("log of the failed start does not name the entrypoint: %q", logs)
		}
		return
	}
	if lambda.ErrorCode(err) != lambda.EFUNCTION || !strings.Contains(lambda.ErrorMessage(err), "/nonexistent") {
		t.Errorf("got %v, want EFUNCTION naming the missing entrypoint", err)
	}
	list, err := d.ListInstances(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, inst := range list {
		if inst.Function == "nostart" {
			t.Errorf("the container that failed to start (%s) was left behind", inst.ID)
		}
	}
}
