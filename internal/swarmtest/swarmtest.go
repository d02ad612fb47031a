// Package swarmtest gives tests a real 3-node Docker Swarm on this machine:
// the cluster scripts/swarm-cluster.sh starts (extra dockerds in network
// namespaces, a registry, an attachable overlay network and a client network
// namespace on it). A test binary starts it once (Shared) and TestMain calls
// Release; several test binaries may share one cluster at the same time (a
// file lock counts them) and the last one out takes it down.
//
// A server under test must run in the client namespace (Cluster.Netns):
// only there do task addresses on the overlay answer. Cluster.Command runs a
// program there and Cluster.DialContext opens connections from there.
package swarmtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lambdahq/lambda/drivertest"
)

// Cluster is a running test cluster. Node numbers are 1 (the manager, which
// also runs the registry and the client namespace's container), 2 and 3
// (workers).
type Cluster struct {
	// Manager is the manager's DOCKER_HOST (unix:///run/lsw/n1.sock).
	Manager string
	// Hosts are every node's DOCKER_HOST, Hosts[0] being the manager's.
	Hosts []string
	// Registry is the registry's HOST:PORT, which every node trusts
	// (insecure-registries) and the manager's engine pushes to.
	Registry string
	// Network is the attachable overlay network the client namespace is on.
	Network string
	// Netns is the network namespace to run a server under test in.
	Netns string
	// NodeAddrs are the nodes' addresses on the hub, in node order. They
	// exist only inside the namespaces: the host routes them nowhere.
	NodeAddrs []string
	// Hostnames are the nodes' Swarm hostnames (node.hostname==lsw-n2).
	Hostnames []string

	script string
}

// lockPath is the lock that counts the processes using the cluster: each
// holds it shared while it runs; the one that gets it exclusively at the
// end is the last and takes the cluster down.
const lockPath = "/run/lsw.lock"

var shared struct {
	mu   sync.Mutex
	c    *Cluster
	err  error
	lock *os.File
	done bool
}

// useLockPath is held by every test using the cluster until it ends:
// shared by most, exclusively by the tests that kill nodes (Exclusive), so
// that a node loss never lands in another package's test running at the
// same time (go test runs packages in parallel).
const useLockPath = "/run/lsw.use.lock"

// Shared returns the cluster, starting it on the first call of the test
// binary (about 20-40 s; a minute more on the first run of a machine, which
// builds the registry). Without root, ip or dockerd, or when it fails to
// start, the test skips — and fails under CI=true. The test shares the
// cluster with others until it ends; it must not kill nodes.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	return use(t, syscall.LOCK_SH)
}

// Exclusive is Shared for a test that disrupts the cluster (KillNode): it
// waits until no other test uses the cluster and keeps it to itself until
// it ends.
func Exclusive(t testing.TB) *Cluster {
	t.Helper()
	return use(t, syscall.LOCK_EX)
}

func use(t testing.TB, how int) *Cluster {
	t.Helper()
	shared.mu.Lock()
	if shared.c == nil && shared.err == nil {
		shared.c, shared.err = start()
	}
	c, err := shared.c, shared.err
	shared.mu.Unlock()
	if err != nil {
		drivertest.SkipOrFail(t, "the test Swarm cluster: %v", err)
	}
	f, err := os.OpenFile(useLockPath, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := flockTimeout(f, how, 20*time.Minute); err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return c
}

// Release ends this test binary's use of the cluster (call it from
// TestMain after m.Run); the last user takes the cluster down, unless
// LAMBDA_SWARM_KEEP=1 asks to keep it for the next run.
func Release() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.lock == nil || shared.done {
		return nil
	}
	shared.done = true
	defer shared.lock.Close()
	if os.Getenv("LAMBDA_SWARM_KEEP") == "1" {
		return nil
	}
	// Only the last user gets the lock exclusively; the others leave it up.
	if err := syscall.Flock(int(shared.lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := shared.c.run(ctx, "down")
	return err
}

func start() (*Cluster, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("needs root (network namespaces, extra dockerds)")
	}
	for _, tool := range []string{"ip", "unshare", "dockerd", "docker"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("no %s on this host", tool)
		}
	}
	script, err := scriptPath()
	if err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	c := &Cluster{script: script}
	if err := c.join(lock); err != nil {
		lock.Close()
		return nil, err
	}
	shared.lock = lock
	return c, nil
}

// join holds lock shared, with the cluster up, for as long as this process
// uses it. Starting ("up", idempotent) runs under the lock held
// exclusively, so that no "down" runs in its middle. A cluster other test
// processes use (they hold the lock shared, e2e for its whole run) is
// joined as it is, shared at once: waiting for the exclusive lock would
// wait for those whole processes.
func (c *Cluster) join(lock *os.File) error {
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			out, err := c.run(ctx, "up")
			cancel()
			if err == nil {
				err = c.parseEnv(out)
			}
			if err != nil {
				return err
			}
			return syscall.Flock(int(lock.Fd()), syscall.LOCK_SH)
		} else if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("lock %s: %w", lock.Name(), err)
		}
		// Held: shared by users of a running cluster, or exclusively by
		// a process starting or stopping it (shared comes after either).
		if err := flockTimeout(lock, syscall.LOCK_SH, time.Until(deadline)); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := c.run(ctx, "env")
		if err == nil {
			if err = c.parseEnv(out); err == nil {
				err = c.WaitReady(ctx)
			}
		}
		cancel()
		if err == nil {
			return nil
		}
		// Stopped meanwhile (the last user's Release): start it again.
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_UN); err != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("lock %s: the cluster was neither started nor joined within 10m", lock.Name())
}

// flockTimeout takes the lock, giving up after d: every wait is bounded.
func flockTimeout(f *os.File, how int, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("lock %s: still held by another test process after %v", f.Name(), d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func scriptPath() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate scripts/swarm-cluster.sh")
	}
	p := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "swarm-cluster.sh")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("cluster script: %w", err)
	}
	return p, nil
}

// run runs the cluster script; its progress goes to the test binary's
// stderr, what it prints is returned.
func (c *Cluster) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "bash", append([]string{c.script}, args...)...)
	// This process holds the script's lock (lockPath) already.
	cmd.Env = append(os.Environ(), "LSW_LOCKED=1")
	var out bytes.Buffer
	cmd.Stdout = &out
	var errb bytes.Buffer
	cmd.Stderr = &errb
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w\n%s", filepath.Base(c.script), strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

// parseEnv reads the LSW_*=value lines the script prints.
func (c *Cluster) parseEnv(out string) error {
	env := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			env[k] = strings.Trim(v, `"`)
		}
	}
	c.Manager = env["LSW_MANAGER"]
	c.Hosts = append([]string{c.Manager}, strings.Fields(env["LSW_WORKERS"])...)
	c.Registry = env["LSW_REGISTRY"]
	c.Network = env["LSW_NETWORK"]
	c.Netns = env["LSW_NETNS"]
	c.NodeAddrs = strings.Fields(env["LSW_NODE_ADDRS"])
	for i := range c.Hosts {
		c.Hostnames = append(c.Hostnames, "lsw-n"+strconv.Itoa(i+1))
	}
	if c.Manager == "" || c.Registry == "" || c.Network == "" || c.Netns == "" || len(c.Hosts) != 3 {
		return fmt.Errorf("the cluster script printed no complete environment:\n%s", out)
	}
	return nil
}

// KillNode cuts node n (1-3) as a power cut would: its dockerd, containerd,
// shims and containers get SIGKILL. The manager sees it down within about
// 6 s (a 3 s dispatcher heartbeat).
func (c *Cluster) KillNode(ctx context.Context, n int) error {
	_, err := c.run(ctx, "kill", strconv.Itoa(n))
	return err
}

// StartNode starts node n's dockerd again after KillNode; it rejoins the
// swarm with its state. Wait for it with WaitReady.
func (c *Cluster) StartNode(ctx context.Context, n int) error {
	_, err := c.run(ctx, "start", strconv.Itoa(n))
	return err
}

// WaitReady waits until every node is Ready in the manager's node list.
func (c *Cluster) WaitReady(ctx context.Context) error {
	for {
		out, err := c.Docker(ctx, 1, "node", "ls", "--format", "{{.Status}}")
		if err == nil && strings.Count(out, "Ready") == len(c.Hosts) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nodes not all ready: %s (%v): %w", strings.Join(strings.Fields(out), " "), err, ctx.Err())
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// LoadImages copies images from the host's engine to every node (docker
// save | docker load), for images the nodes cannot get from the registry.
func (c *Cluster) LoadImages(ctx context.Context, images ...string) error {
	_, err := c.run(ctx, append([]string{"load"}, images...)...)
	return err
}

// Docker runs the docker CLI against node n (1-3) and returns its trimmed
// output.
func (c *Cluster) Docker(ctx context.Context, n int, args ...string) (string, error) {
	if n < 1 || n > len(c.Hosts) {
		return "", fmt.Errorf("no node %d", n)
	}
	cmd := exec.CommandContext(ctx, "docker", append([]string{"-H", c.Hosts[n-1]}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return strings.TrimSpace(string(out)), fmt.Errorf("docker -H %s %s: %w\n%s", c.Hosts[n-1], strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}
