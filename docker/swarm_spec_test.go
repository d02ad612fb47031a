package docker

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/swarm"
)

func TestServiceSpec(t *testing.T) {
	tests := []struct {
		name       string
		spec       lambda.InstanceSpec
		namespace  string
		wantMemory int64
		wantPids   int64
	}{
		{
			name:       "defaults",
			spec:       lambda.InstanceSpec{Function: "greet", Version: 3, Image: "reg:5000/func-greet@sha256:ab", Port: 8080},
			wantMemory: lambda.DefaultMemoryBytes, wantPids: DefaultPidsLimit,
		},
		{
			name: "limits, env, placement, namespace",
			spec: lambda.InstanceSpec{Function: "gpu", Version: 1, Image: "img", Port: 9000, MemoryBytes: 256 << 20, PidsLimit: 64,
				Env: map[string]string{"B": "2", "A": "1", "PORT": "1"}, Placement: []string{" node.labels.gpu==true "}},
			namespace:  "ns1",
			wantMemory: 256 << 20, wantPids: 64,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := serviceSpec(tt.spec, "lambda-x", "net1", tt.namespace, 3*time.Second)
			cs := got.TaskTemplate.ContainerSpec
			switch {
			case got.Mode.Replicated == nil || *got.Mode.Replicated.Replicas != 1:
				t.Errorf("mode %+v, want one replica", got.Mode)
			case got.TaskTemplate.RestartPolicy.Condition != swarm.RestartPolicyConditionNone:
				t.Errorf("restart policy %+v, want none: the pool decides", got.TaskTemplate.RestartPolicy)
			case got.EndpointSpec.Mode != swarm.ResolutionModeDNSRR || len(got.EndpointSpec.Ports) != 0:
				t.Errorf("endpoint %+v, want dnsrr and no published port (no VIP, no routing mesh)", got.EndpointSpec)
			case len(got.TaskTemplate.Networks) != 1 || got.TaskTemplate.Networks[0].Target != "net1":
				t.Errorf("networks %+v, want net1 only", got.TaskTemplate.Networks)
			case cs.Image != tt.spec.Image || cs.User != containerUser || !cs.ReadOnly || cs.Init == nil || !*cs.Init:
				t.Errorf("container %+v: want the image, user %s, read-only root, init", cs, containerUser)
			case !slices.Equal(cs.CapabilityDrop, []string{"ALL"}) || len(cs.CapabilityAdd) != 0:
				t.Errorf("capabilities drop %v add %v, want ALL dropped", cs.CapabilityDrop, cs.CapabilityAdd)
			case len(cs.Mounts) != 1 || cs.Mounts[0].Type != mount.TypeTmpfs || cs.Mounts[0].Target != "/tmp":
				t.Errorf("mounts %+v, want a tmpfs /tmp", cs.Mounts)
			case *cs.StopGracePeriod != 3*time.Second:
				t.Errorf("stop grace %v", *cs.StopGracePeriod)
			}
			lim := got.TaskTemplate.Resources.Limits
			if lim.MemoryBytes != tt.wantMemory || lim.Pids != tt.wantPids {
				t.Errorf("limits %+v, want memory %d pids %d", lim, tt.wantMemory, tt.wantPids)
			}
			if env := cs.Env; env[len(env)-1] != "PORT="+strconv.Itoa(tt.spec.Port) || slices.Contains(env, "PORT=1") || !slices.IsSorted(env[:len(env)-1]) {
				t.Errorf("env %q: want the spec's, sorted, PORT last and the platform's", env)
			}
			for _, labels := range []map[string]string{got.Labels, cs.Labels} {
				if labels[lambda.LabelManaged] != "true" || labels[lambda.LabelFunction] != tt.spec.Function ||
					labels[lambda.LabelVersion] != strconv.Itoa(tt.spec.Version) || labels[labelPort] != strconv.Itoa(tt.spec.Port) ||
					labels[lambda.LabelServer] != tt.namespace {
					t.Errorf("labels %v, want managed, function, version, port and namespace %q", labels, tt.namespace)
				}
			}
			want := make([]string, 0)
			for _, c := range tt.spec.Placement {
				want = append(want, strings.TrimSpace(c))
			}
			if !slices.Equal(got.TaskTemplate.Placement.Constraints, want) {
				t.Errorf("constraints %q, want %q", got.TaskTemplate.Placement.Constraints, want)
			}
		})
	}
}

func TestTaskExitAndAddr(t *testing.T) {
	running := swarm.Task{ID: "t1", Status: swarm.TaskStatus{State: swarm.TaskStateRunning}, NodeID: "n1",
		NetworksAttachments: []swarm.NetworkAttachment{
			{Network: swarm.Network{ID: "other"}, Addresses: []netip.Prefix{netip.MustParsePrefix("10.0.9.9/24")}},
			{Network: swarm.Network{ID: "net1"}, Addresses: []netip.Prefix{netip.MustParsePrefix("10.231.0.7/20")}},
		}}
	failed := swarm.Task{ID: "t2", Status: swarm.TaskStatus{State: swarm.TaskStateFailed, ContainerStatus: &swarm.ContainerStatus{ExitCode: 3}}}
	rejected := swarm.Task{ID: "t3", Status: swarm.TaskStatus{State: swarm.TaskStateRejected, ContainerStatus: &swarm.ContainerStatus{}}}
	svc := swarm.Service{ID: "s1"}
	tests := []struct {
		name  string
		st    serviceTask
		ended bool
		code  int
	}{
		{"running on a node that is up", serviceTask{svc, running, true}, false, 0},
		{"running on a lost node", serviceTask{svc, running, false}, true, -1},
		{"exited", serviceTask{svc, failed, true}, true, 3},
		{"rejected", serviceTask{svc, rejected, true}, true, -1},
	}
	for _, tt := range tests {
		exit, ended := taskExit(tt.st)
		if ended != tt.ended || (ended && (exit.ID != "s1" || exit.ExitCode != tt.code)) {
			t.Errorf("%s: taskExit = %+v, %v; want ended %v, code %d", tt.name, exit, ended, tt.ended, tt.code)
		}
	}
	if got := taskAddr(running, "net1"); got != "10.231.0.7" {
		t.Errorf("taskAddr = %q, want the address on net1", got)
	}
	if got := taskAddr(running, "missing"); got != "" {
		t.Errorf("taskAddr on another network = %q", got)
	}
}
