package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdahq/lambda/internal/swarmtest"
)

// TestSwarm runs the platform on the 3-node test cluster (issue 15): one
// server, the steps in order, since each builds on the one before.
func TestSwarm(t *testing.T) {
	requireDocker(t)
	c := swarmtest.Exclusive(t) // it kills a node
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	const perNode = 10
	s := startSwarmServer(t, c, "--max-instances", fmt.Sprint(perNode))
	name := fnName(t, "swarm-go")
	py := fnName(t, "swarm-py")
	t.Cleanup(func() {
		s.t = t
		s.lambda("delete", name)
		s.lambda("delete", py)
	})

	t.Run("spread", func(t *testing.T) {
		s.t = t
		s.mustLambda("deploy", "testdata/swarm-whoami", "--name", name, "--min-instances", "3",
			"--concurrency", "1", "-e", "VERSION=v1")
		var tasks []swarmTask
		until(t, 90*time.Second, "3 running tasks of "+name, func() bool {
			tasks = s.tasks(name)
			return len(tasks) == 3
		})
		nodes := map[string]bool{}
		for _, task := range tasks {
			nodes[task.Node] = true
		}
		if len(nodes) != 3 {
			t.Errorf("--min-instances 3 placed instances on %d nodes: %+v", len(nodes), tasks)
		}
		// Slow requests at once need every instance (concurrency 1): each
		// one answers, by its hostname (the container's short ID).
		hosts := concurrentCalls(t, s, name, 3, "?sleep=1s")
		for _, task := range tasks {
			if !hosts[task.Container[:12]] {
				t.Errorf("the instance on %s (%s) served no request; served: %v", task.Node, task.Container[:12], hosts)
			}
		}
	})

	t.Run("python", func(t *testing.T) {
		s.t = t
		// The host makes the runtimes' base images once per run (shared
		// with TestHandlerRuntimes), and the manager gets copies: left to
		// assemble its own from Debian packages, on a fresh machine and
		// alongside the host's, it outlasted the deploy's 10 minutes.
		prepareRuntimes(t, sharedServer(t))
		preloadBaseImages(t, c)
		s.mustLambda("deploy", "testdata/python-hello", "--name", py)
		res := s.mustLambda("invoke", py, "--data", `{"name":"Swarm"}`)
		if !strings.Contains(res.stdout, "Hello, Swarm!") {
			t.Fatalf("invoke %s: %s", py, res.stdout)
		}
	})

	t.Run("redeploy under load", func(t *testing.T) {
		s.t = t
		failures := underLoad(t, s, name, func() {
			s.mustLambda("deploy", "testdata/swarm-whoami", "--name", name, "-e", "VERSION=v2")
		})
		if len(failures) > 0 {
			t.Fatalf("%d requests failed during the redeploy, first: %v", len(failures), failures[0])
		}
		if _, w, err := s.call(name, ""); err != nil || w.Version != "v2" {
			t.Fatalf("after the redeploy: %+v %v", w, err)
		}
	})

	t.Run("rollback", func(t *testing.T) {
		s.t = t
		before := s.services(name)
		s.mustLambda("rollback", name)
		until(t, 90*time.Second, "v1 serving from 3 new services, v2's removed", func() bool {
			_, w, err := s.call(name, "")
			if err != nil || w.Version != "v1" {
				return false
			}
			now := s.services(name)
			return len(now) == 3 && !overlap(now, before)
		})
		// Nothing of v2 on any node either, containers included (a node
		// lost while they stopped would keep one for good).
		until(t, time.Minute, "v2's containers removed from every node", func() bool {
			return len(s.leftOnNodes(name, "label=lambda.version=2")) == 0
		})
	})

	t.Run("node loss", func(t *testing.T) {
		s.t = t
		victim := 0
		for _, task := range s.tasks(name) {
			if task.Node != c.Hostnames[0] { // node1 runs the registry and this server's namespace
				victim = int(task.Node[len(task.Node)-1] - '0')
				break
			}
		}
		if victim == 0 {
			t.Fatalf("no instance outside node1: %+v", s.tasks(name))
		}
		if got := s.capacity(); got != 3*perNode {
			t.Errorf("capacity before the node loss: %d, want 3 nodes × %d", got, perNode)
		}
		killed := time.Now()
		if err := c.KillNode(ctx, victim); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := c.StartNode(ctx, victim); err != nil {
				t.Error(err)
			}
			if err := c.WaitReady(ctx); err != nil {
				t.Error(err)
			}
		})
		until(t, 2*time.Minute, "3 instances running on the other nodes", func() bool {
			n := 0
			for _, task := range s.tasks(name) {
				if task.Node != c.Hostnames[victim-1] {
					n++
				}
			}
			return n >= 3
		})
		t.Logf("capacity restored %v after the kill", time.Since(killed).Round(100*time.Millisecond))
		// The lost node's share of the capacity goes with it.
		until(t, time.Minute, "capacity of 2 nodes", func() bool { return s.capacity() == 2*perNode })
		for i := range 30 {
			if code, _, err := s.call(name, ""); code != 200 {
				t.Fatalf("request %d after the node loss: %d %v", i, code, err)
			}
		}
	})

	t.Run("scale to zero", func(t *testing.T) {
		s.t = t
		s.mustLambda("config", name, "--min-instances", "0", "--idle-timeout", "1s", "--standby-timeout", "0")
		until(t, 2*time.Minute, "no service left for "+name, func() bool { return len(s.services(name)) == 0 })
		start := time.Now()
		if code, _, err := s.call(name, ""); code != 200 {
			t.Fatalf("cold start after scale to zero: %d %v", code, err)
		}
		t.Logf("cold start through the gateway: %v", time.Since(start).Round(time.Millisecond))
	})

	t.Run("delete", func(t *testing.T) {
		s.t = t
		for _, fn := range []string{name, py} {
			if tags := s.registryTags(fn); len(tags) == 0 {
				t.Fatalf("the registry holds no image of %s before its delete", fn)
			}
			s.mustLambda("delete", fn)
			until(t, time.Minute, "nothing left of "+fn, func() bool {
				return len(s.services(fn)) == 0 && len(s.leftOnNodes(fn)) == 0
			})
			// Nor in the registry: every version's manifest, and with it
			// its tag.
			if tags := s.registryTags(fn); len(tags) != 0 {
				t.Errorf("the registry still holds %s's images after its delete: %v", fn, tags)
			}
			// Nor on any node: the copies the workers pulled go with a
			// job on every node, before the delete answers.
			if left := s.imagesOnNodes(fn); len(left) != 0 {
				t.Errorf("images of %s left on the nodes after its delete: %v", fn, left)
			}
		}
	})
}

// TestSwarmBadInput: the refusals of issue 15, each clear and quick.
func TestSwarmBadInput(t *testing.T) {
	requireDocker(t)
	c := swarmtest.Shared(t)

	t.Run("not a manager", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := c.Command(ctx, binary, "server", "--addr", "127.0.0.1:0", "--data", t.TempDir(),
			"--backend", "swarm", "--registry", c.Registry, "--swarm-network", c.Network)
		cmd.Env = append(cmd.Environ(), "DOCKER_HOST="+c.Hosts[1])
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "manager") {
			t.Fatalf("server against a worker: err %v, want a refusal naming the manager:\n%s", err, out)
		}
	})

	t.Run("unreachable registry", func(t *testing.T) {
		s := startSwarmServer(t, c)
		name := fnName(t, "swarm-reg")
		t.Cleanup(func() { s.lambda("delete", name) })
		s.mustLambda("deploy", "testdata/swarm-whoami", "--name", name, "-e", "VERSION=v1")
		if err := s.shutdown(); err != nil {
			t.Fatal(err)
		}
		// The same data, a registry nobody answers at (a node address on
		// the hub with no registry: refused at once, nothing leaves).
		s.args = []string{"--registry", c.NodeAddrs[2] + ":5999"}
		if err := s.launch(); err != nil {
			t.Fatal(err)
		}
		res := s.lambda("deploy", "testdata/swarm-whoami", "--name", name, "-e", "VERSION=v2")
		if res.code == 0 || !strings.Contains(strings.ToLower(res.stderr), "registry") {
			t.Fatalf("deploy with an unreachable registry: exit %d, want an error naming the registry:\n%s", res.code, res.stderr)
		}
		if _, w, err := s.call(name, ""); err != nil || w.Version != "v1" {
			t.Fatalf("the previous version should keep serving: %+v %v", w, err)
		}
	})

	t.Run("unsatisfiable placement", func(t *testing.T) {
		s := startSwarmServer(t, c)
		name := fnName(t, "swarm-gpu")
		t.Cleanup(func() { s.lambda("delete", name) })
		start := time.Now()
		res := s.lambda("deploy", "testdata/swarm-whoami", "--name", name,
			"--placement", "node.labels.gpu==true", "--start-timeout", "2m")
		if res.code == 0 || !strings.Contains(res.stderr, "node.labels.gpu==true") {
			t.Fatalf("deploy with a constraint no node satisfies: exit %d, want an error naming it:\n%s", res.code, res.stderr)
		}
		if d := time.Since(start); d > 90*time.Second {
			t.Errorf("the refusal took %v (the start timeout, not the scheduler's answer)", d)
		}
		if left := s.services(name); len(left) > 0 {
			t.Errorf("services left after the refused deploy: %v", left)
		}
	})
}

// concurrentCalls sends n requests at once to function name and returns
// the hostnames that answered.
func concurrentCalls(t *testing.T, s *swarmServer, name string, n int, query string) map[string]bool {
	t.Helper()
	var mu sync.Mutex
	hosts := map[string]bool{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			code, w, err := s.call(name, query)
			if code != 200 {
				t.Errorf("request: %d %v", code, err)
				return
			}
			mu.Lock()
			hosts[w.Host] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	return hosts
}

// underLoad keeps 4 clients calling function name while do runs and
// returns the requests that did not answer 200.
func underLoad(t *testing.T, s *swarmServer, name string, do func()) []error {
	t.Helper()
	var mu sync.Mutex
	var failures []error
	var sent atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				sent.Add(1)
				if code, _, err := s.call(name, ""); code != 200 {
					mu.Lock()
					failures = append(failures, fmt.Errorf("%d: %v", code, err))
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(time.Second) // load before the deploy
	do()
	time.Sleep(2 * time.Second) // and after the switch
	close(stop)
	wg.Wait()
	t.Logf("%d requests during the redeploy, %d failed", sent.Load(), len(failures))
	return failures
}

func overlap(a, b []string) bool {
	seen := map[string]bool{}
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if seen[x] {
			return true
		}
	}
	return false
}
