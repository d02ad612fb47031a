package docker

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// containerName is unique per start, yet tells a human which function and
// version a container serves.
func containerName(spec lambda.InstanceSpec) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return fmt.Sprintf("lambda-%s-v%d-%s", spec.Function, spec.Version, hex.EncodeToString(b))
}

// createOptions applies the platform's hardening to spec. networkID is the
// dedicated bridge network, referenced by ID because Docker 20.10 lets two
// networks share a name.
func createOptions(spec lambda.InstanceSpec, name, networkID string) client.ContainerCreateOptions {
	env := make([]string, 0, len(spec.Env)+1)
	for k, v := range spec.Env {
		if k != "PORT" {
			env = append(env, k+"="+v)
		}
	}
	slices.Sort(env)
	env = append(env, "PORT="+strconv.Itoa(spec.Port))

	memory := spec.MemoryBytes
	if memory == 0 {
		memory = lambda.DefaultMemoryBytes
	}
	pids := spec.PidsLimit
	if pids == 0 {
		pids = DefaultPidsLimit
	}
	shares := spec.CPUShares
	if shares == 0 {
		shares = DefaultCPUShares
	}
	withInit := true

	return client.ContainerCreateOptions{
		Name: name,
		Config: &container.Config{
			Image: spec.Image,
			User:  containerUser,
			Env:   env,
			Labels: map[string]string{
				lambda.LabelManaged:  "true",
				lambda.LabelFunction: spec.Function,
				lambda.LabelVersion:  strconv.Itoa(spec.Version),
				labelPort:            strconv.Itoa(spec.Port),
			},
		},
		HostConfig: &container.HostConfig{
			NetworkMode:    container.NetworkMode(networkID),
			RestartPolicy:  container.RestartPolicy{Name: container.RestartPolicyDisabled},
			CapDrop:        []string{"ALL"},
			SecurityOpt:    []string{"no-new-privileges"},
			ReadonlyRootfs: true,
			Tmpfs:          map[string]string{"/tmp": tmpfsOptions},
			Init:           &withInit,
			// json-file, whatever the daemon's default, so that the platform
			// can read the output back (FollowLogs); rotated, so that a
			// function printing without pause cannot fill the host's disk.
			// The files hold 150 MB: a follower that falls behind a flood
			// loses the lines rotated away before it read them, so they must
			// hold more than the store keeps of a function (50 MB by default)
			// with room for a burst: 100 MB of output is ~120 MB as json-file.
			LogConfig: container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "25m", "max-file": "6"}},
			Resources: container.Resources{
				Memory:     memory,
				MemorySwap: memory, // equal to Memory: no swap
				CPUShares:  shares,
				PidsLimit:  &pids,
				Ulimits:    []*container.Ulimit{{Name: "nofile", Soft: nofileLimit, Hard: nofileLimit}},
			},
		},
		NetworkingConfig: &network.NetworkingConfig{
			EndpointsConfig: map[string]*network.EndpointSettings{networkID: {}},
		},
	}
}
