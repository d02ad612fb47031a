package swarmtest

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := Release(); err != nil {
		fmt.Fprintln(os.Stderr, "swarmtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func TestParseEnv(t *testing.T) {
	full := `LSW_MANAGER=unix:///run/lsw/n1.sock
LSW_WORKERS="unix:///run/lsw/n2.sock unix:///run/lsw/n3.sock"
LSW_REGISTRY=192.168.240.11:5000
LSW_NETWORK=lsw-overlay
LSW_NETNS=lsw-cl
LSW_NODE_ADDRS="192.168.240.11 192.168.240.12 192.168.240.13"
`
	tests := []struct {
		name, out string
		wantErr   bool
	}{
		{"complete", full, false},
		{"no registry", strings.Replace(full, "LSW_REGISTRY=192.168.240.11:5000\n", "", 1), true},
		{"one worker", strings.Replace(full, " unix:///run/lsw/n3.sock", "", 1), true},
		{"nothing", "swarm-cluster: down\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Cluster
			err := c.parseEnv(tt.out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseEnv: err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if c.Manager != "unix:///run/lsw/n1.sock" || c.Hosts[2] != "unix:///run/lsw/n3.sock" ||
				c.Registry != "192.168.240.11:5000" || c.Netns != "lsw-cl" || c.Hostnames[1] != "lsw-n2" ||
				len(c.NodeAddrs) != 3 {
				t.Errorf("parsed %+v", c)
			}
		})
	}
}

// TestCluster checks what the Swarm backend's tests rely on: three ready
// nodes, a service spread over all three whose task addresses answer from
// the client namespace (and only by address: no VIP), the registry taking
// a push from the manager and serving a pull to a worker, and a killed
// node seen down and back.
func TestCluster(t *testing.T) {
	c := Exclusive(t) // it kills a node
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("swarmtest-%d", os.Getpid())
	defer c.Docker(context.Background(), 1, "service", "rm", name) //nolint:errcheck // best effort
	// The image goes through the registry, as the Swarm backend's do.
	ref := c.Registry + "/swarmtest/busybox:" + name
	for _, args := range [][]string{{"tag", "busybox:latest", ref}, {"push", ref}} {
		if _, err := c.Docker(ctx, 1, args...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Docker(ctx, 1, "service", "create", "-d", "--name", name, "--replicas", "3",
		"--endpoint-mode", "dnsrr", "--network", c.Network, "--placement-pref", "spread=node.id",
		ref, "httpd", "-f", "-p", "8080", "-h", "/etc"); err != nil {
		t.Fatal(err)
	}
	var addrs []string
	nodes := map[string]bool{}
	for len(addrs) < 3 {
		out, _ := c.Docker(ctx, 1, "service", "ps", "--filter", "desired-state=running", "--format", "{{.Node}} {{.CurrentState}}", name)
		running := strings.Count(out, "Running")
		if running == 3 {
			for _, line := range strings.Split(out, "\n") {
				nodes[strings.Fields(line)[0]] = true
			}
			ips, err := c.taskIPs(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			addrs = ips
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("3 tasks not running: %s", out)
		case <-time.After(500 * time.Millisecond):
		}
	}
	if len(nodes) != 3 {
		t.Errorf("tasks on nodes %v, want 3 different nodes", nodes)
	}
	client := c.HTTPClient(10 * time.Second)
	hostnames := map[string]bool{}
	for _, ip := range addrs {
		resp, err := client.Get("http://" + net.JoinHostPort(ip, "8080") + "/hostname")
		if err != nil {
			t.Fatalf("task %s from the client namespace: %v", ip, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("task %s: %d %q", ip, resp.StatusCode, body)
		}
		hostnames[string(body)] = true
	}
	if len(hostnames) != 3 {
		t.Errorf("3 task addresses answered as %d containers", len(hostnames))
	}
	// The same address is not reachable from the root namespace: the
	// dialer, not luck, made the requests above work.
	d := net.Dialer{Timeout: time.Second}
	if conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addrs[0], "8080")); err == nil {
		conn.Close()
		t.Errorf("task %s answered from the root namespace", addrs[0])
	}
	// A command in the namespace resolves the tasks through Docker's DNS.
	out, err := c.Command(ctx, "getent", "hosts", "tasks."+name).CombinedOutput()
	if err != nil || strings.Count(string(out), "\n") != 3 {
		t.Errorf("getent hosts tasks.%s in %s: %v\n%s", name, c.Netns, err, out)
	}

	if err := c.KillNode(ctx, 3); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		out, _ := c.Docker(ctx, 1, "node", "inspect", "-f", "{{.Status.State}}", c.Hostnames[2])
		if out == "down" {
			t.Logf("node 3 seen down after %v", time.Since(start).Round(100*time.Millisecond))
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("node 3 not seen down: %q", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := c.StartNode(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
}

// taskIPs are the overlay addresses of a service's running tasks.
func (c *Cluster) taskIPs(ctx context.Context, service string) ([]string, error) {
	ids, err := c.Docker(ctx, 1, "service", "ps", "-q", "--filter", "desired-state=running", service)
	if err != nil {
		return nil, err
	}
	var ips []string
	for _, id := range strings.Fields(ids) {
		out, err := c.Docker(ctx, 1, "inspect", "-f", `{{range .NetworksAttachments}}{{range .Addresses}}{{.}} {{end}}{{end}}`, id)
		if err != nil {
			return nil, err
		}
		for _, a := range strings.Fields(out) {
			ip, _, err := net.ParseCIDR(a)
			if err == nil {
				ips = append(ips, ip.String())
			}
		}
	}
	return ips, nil
}
