package docker

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/swarm"
)

// swarmTmpfsBytes is the size of an instance's /tmp, as tmpfsOptions.
const swarmTmpfsBytes = 64 << 20

// serviceSpec is the Swarm service of one instance of spec, with the same
// hardening as a local container (createOptions): a non-root user, no
// capabilities, a read-only root with a tmpfs /tmp, an init process,
// memory and pids limits, rotated json-file logs. Differences, all of
// Docker 20.10's Swarm API: no-new-privileges is not offered (every
// capability is dropped and the user is not root, so a setuid binary
// gains nothing), and CPU shares have no Swarm equivalent (they are a
// weight, not a limit, so none is set). The service restarts nothing and
// resolves by DNS round robin: the pool reaches the task's own address.
func serviceSpec(spec lambda.InstanceSpec, name, networkID, namespace string, grace time.Duration) swarm.ServiceSpec {
	env := make([]string, 0, len(spec.Env)+1)
	for k, v := range spec.Env {
		if k != "PORT" {
			env = append(env, k+"="+v)
		}
	}
	slices.Sort(env)
	env = append(env, "PORT="+strconv.Itoa(spec.Port))

	memory := cmp.Or(spec.MemoryBytes, lambda.DefaultMemoryBytes)
	pids := cmp.Or(spec.PidsLimit, DefaultPidsLimit)
	labels := map[string]string{
		lambda.LabelManaged:  "true",
		lambda.LabelFunction: spec.Function,
		lambda.LabelVersion:  strconv.Itoa(spec.Version),
		labelPort:            strconv.Itoa(spec.Port),
	}
	if namespace != "" {
		labels[lambda.LabelServer] = namespace
	}
	withInit := true
	one := uint64(1)
	constraints := make([]string, 0, len(spec.Placement))
	for _, c := range spec.Placement {
		constraints = append(constraints, strings.TrimSpace(c))
	}
	return swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: name, Labels: labels},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{
				Image:           spec.Image,
				Labels:          labels, // on the task's container, for `docker ps` on a node
				Env:             env,
				User:            containerUser,
				Init:            &withInit,
				ReadOnly:        true,
				CapabilityDrop:  []string{"ALL"},
				StopGracePeriod: &grace,
				Mounts: []mount.Mount{{
					Type:         mount.TypeTmpfs,
					Target:       "/tmp",
					TmpfsOptions: &mount.TmpfsOptions{SizeBytes: swarmTmpfsBytes, Mode: 0o1777},
				}},
				Ulimits: []*container.Ulimit{{Name: "nofile", Soft: nofileLimit, Hard: nofileLimit}},
			},
			Resources: &swarm.ResourceRequirements{
				Limits: &swarm.Limit{MemoryBytes: memory, Pids: pids},
			},
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionNone},
			Placement:     &swarm.Placement{Constraints: constraints},
			Networks:      []swarm.NetworkAttachmentConfig{{Target: networkID}},
			LogDriver:     &swarm.Driver{Name: "json-file", Options: map[string]string{"max-size": "25m", "max-file": "6"}},
		},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR},
	}
}
