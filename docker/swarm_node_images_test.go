package docker

import (
	"bytes"
	"context"
	"debug/elf"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// TestNodeSweepSpec: one task on every node (a global job, no placement
// constraint), the node's socket mounted at the default path, the node's
// ID from Swarm's template, the platform's labels, no restart.
func TestNodeSweepSpec(t *testing.T) {
	refs := []string{"r:5000/func-a@sha256:1", "r:5000/func-a@sha256:2"}
	spec := nodeSweepSpec("r:5000/lambda-node-sweep@sha256:9", refs, "ns1")
	if spec.Mode.GlobalJob == nil || spec.Mode.Replicated != nil || spec.Mode.Global != nil || spec.Mode.ReplicatedJob != nil {
		t.Errorf("mode %+v, want a global job", spec.Mode)
	}
	if p := spec.TaskTemplate.Placement; p != nil && len(p.Constraints) > 0 {
		t.Errorf("placement constraints %q: every node may hold a copy", p.Constraints)
	}
	c := spec.TaskTemplate.ContainerSpec
	if c.Image != "r:5000/lambda-node-sweep@sha256:9" {
		t.Errorf("image %q", c.Image)
	}
	wantMount := mount.Mount{Type: mount.TypeBind, Source: "/var/run/docker.sock", Target: "/var/run/docker.sock"}
	if len(c.Mounts) != 1 || c.Mounts[0] != wantMount {
		t.Errorf("mounts %+v, want only %+v", c.Mounts, wantMount)
	}
	if !slices.Contains(c.Env, "LAMBDA_NODE_ID={{.Node.ID}}") {
		t.Errorf("env %q lacks the node ID's template", c.Env)
	}
	args := append(slices.Clone(c.Command), c.Args...)
	if want := []string{"/lambda", "node-sweep", "--image", refs[0], "--image", refs[1]}; !slices.Equal(args, want) {
		t.Errorf("command %q, want %q", args, want)
	}
	for k, v := range map[string]string{lambda.LabelManaged: "true", lambda.LabelServer: "ns1", labelRole: roleNodeSweep} {
		if spec.Labels[k] != v {
			t.Errorf("label %s=%q, want %q", k, spec.Labels[k], v)
		}
	}
	if !isNodeSweep(swarm.Service{Spec: spec}) {
		t.Error("the job is taken for an instance")
	}
	if r := spec.TaskTemplate.RestartPolicy; r == nil || r.Condition != swarm.RestartPolicyConditionNone {
		t.Errorf("restart policy %+v, want none: a failed task is reported, not run again", r)
	}
	if !c.ReadOnly || !slices.Equal(c.CapabilityDrop, []string{"ALL"}) {
		t.Errorf("read-only %v, dropped %q: want a read-only root and no capability", c.ReadOnly, c.CapabilityDrop)
	}
}

// TestNodeSweepDoneAndProblems: the wait ends once every node ready at
// the start has a task that ended or went down; the report names the
// nodes that may keep copies.
func TestNodeSweepDoneAndProblems(t *testing.T) {
	node := func(id string, st swarm.NodeState) swarm.Node {
		n := swarm.Node{ID: id, Status: swarm.NodeStatus{State: st}}
		n.Spec.Availability = swarm.NodeAvailabilityActive
		n.Description.Hostname = "host-" + id
		return n
	}
	task := func(node string, st swarm.TaskState, exit int) swarm.Task {
		return swarm.Task{NodeID: node, Status: swarm.TaskStatus{State: st, ContainerStatus: &swarm.ContainerStatus{ExitCode: exit}}}
	}
	before := []swarm.Node{node("a", swarm.NodeStateReady), node("b", swarm.NodeStateReady), node("c", swarm.NodeStateDown)}
	running := []swarm.Task{task("a", swarm.TaskStateComplete, 0), task("b", swarm.TaskStateRunning, 0)}
	if jobDone(before, before, running) {
		t.Error("done while node b's task runs")
	}
	bDown := []swarm.Node{node("a", swarm.NodeStateReady), node("b", swarm.NodeStateDown), node("c", swarm.NodeStateDown)}
	if !jobDone(before, bDown, running) {
		t.Error("still waiting for node b, which went down")
	}
	ended := []swarm.Task{task("a", swarm.TaskStateComplete, 0), task("b", swarm.TaskStateFailed, 1)}
	if !jobDone(before, before, ended) {
		t.Error("not done once every task ended")
	}
	got := strings.Join(sweepProblems(before, ended), "; ")
	for _, want := range []string{"node host-b: task failed (exit 1)", "node host-c is down/active and keeps its copies"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %q lack %q", got, want)
		}
	}
	if strings.Contains(got, "host-a") {
		t.Errorf("problems %q name node a, whose task completed", got)
	}
}

// fakeNodeEngine is a node's Docker API that is Swarm node nodeID and
// holds the images of present; it records the removals asked.
func fakeNodeEngine(t *testing.T, nodeID string, present ...string) (*Driver, *[]string) {
	t.Helper()
	var mu sync.Mutex
	removed := &[]string{}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/info"):
			_, _ = w.Write([]byte(`{"Name":"host-` + nodeID + `","Swarm":{"NodeID":"` + nodeID + `","LocalNodeState":"active"}}`))
		case r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/images/"):
			ref := r.URL.Path[strings.Index(r.URL.Path, "/images/")+len("/images/"):]
			mu.Lock()
			*removed = append(*removed, ref)
			mu.Unlock()
			if !slices.Contains(present, ref) {
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"message":"No such image: ` + ref + `"}`))
				return
			}
			_, _ = w.Write([]byte(`[{"Deleted":"sha256:1"}]`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(api.Close)
	cli, err := client.New(client.WithHost("tcp://"+api.Listener.Addr().String()), client.WithAPIVersion("1.41"))
	if err != nil {
		t.Fatal(err)
	}
	return &Driver{cli: cli}, removed
}

// TestRemoveNodeImagesRefusesAnotherNode: an engine that is not the
// task's node loses nothing, and the refusal says why.
func TestRemoveNodeImagesRefusesAnotherNode(t *testing.T) {
	d, removed := fakeNodeEngine(t, "other-node", "r/func-a@sha256:1")
	var out bytes.Buffer
	err := d.RemoveNodeImages(context.Background(), "my-node", []string{"r/func-a@sha256:1"}, &out)
	if err == nil || !strings.Contains(err.Error(), "refusing") || !strings.Contains(err.Error(), "other-node") {
		t.Fatalf("err %v, want a refusal naming the engine's node", err)
	}
	if len(*removed) != 0 {
		t.Errorf("removed %q from another node's engine", *removed)
	}
	if err := d.RemoveNodeImages(context.Background(), "", []string{"r/func-a@sha256:1"}, &out); err == nil || len(*removed) != 0 {
		t.Errorf("no node ID: err %v, removed %q; want a refusal", err, *removed)
	}
}

// TestRemoveNodeImages: on its own node, each reference is removed; one
// the node does not hold is no error.
func TestRemoveNodeImages(t *testing.T) {
	d, removed := fakeNodeEngine(t, "my-node", "r/func-a@sha256:1")
	var out bytes.Buffer
	refs := []string{"r/func-a@sha256:1", "r/func-a@sha256:2"}
	if err := d.RemoveNodeImages(context.Background(), "my-node", refs, &out); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(*removed, refs) {
		t.Errorf("removed %q, want %q", *removed, refs)
	}
	if want := "host-my-node: removed r/func-a@sha256:1\nhost-my-node: absent r/func-a@sha256:2\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}

// TestStaticBinaryRefusesDynamic: the node-sweep image is FROM scratch,
// so a dynamically linked server (or no ELF at all) is refused, clearly.
func TestStaticBinaryRefusesDynamic(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := staticBinary(notELF); err == nil || !strings.Contains(err.Error(), "not an ELF executable") {
		t.Errorf("a script: err %v, want a refusal", err)
	}
	dynamic := "/bin/sh"
	if ef, err := elf.Open(dynamic); err != nil || !slices.ContainsFunc(ef.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }) {
		t.Skipf("%s is not a dynamic ELF here", dynamic)
	}
	if _, err := staticBinary(dynamic); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Errorf("%s: err %v, want a refusal saying how to build a static one", dynamic, err)
	}
}
