package e2e

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPrecreatedColdStart: a function that scaled to zero keeps one
// container created and not started, with the spec a regular instance has
// (environment, limits, hardening, labels but the pre-created ones), in
// the network namespace of a holder that runs ahead (docker/holder.go);
// the next request is a cold start served by that very container on the
// holder's address, another is created for the next, and a delete leaves
// no container at all, holders included.
func TestPrecreatedColdStart(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("precreate")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name, "--env", "FIXTURE_TAG=precreated")
	running := s.containers(name, false)
	if len(running) != 1 {
		t.Fatalf("containers after the deploy: %v", running)
	}
	// What must be the same in a pre-created container as in a started
	// one: everything but its state, address, name and ID.
	const spec = "{{json .Config.Env}} {{.Config.User}} {{json .Config.Labels}} {{.HostConfig.Memory}} {{.HostConfig.CpuShares}} " +
		"{{.HostConfig.PidsLimit}} {{.HostConfig.ReadonlyRootfs}} {{json .HostConfig.CapDrop}} {{json .HostConfig.SecurityOpt}} {{.HostConfig.Init}}"
	regular := docker(t, "inspect", "-f", spec, running[0])
	if mode := docker(t, "inspect", "-f", "{{.HostConfig.NetworkMode}}", running[0]); strings.HasPrefix(mode, "container:") {
		t.Errorf("the deploy's instance is in network mode %s, want its own network (the regular start)", mode)
	}

	s.mustLambda("config", name, "--idle-timeout", "1s", "--standby-timeout", "0")
	var spare string
	waitFor(t, 60*time.Second, func() bool {
		created := s.precreated(name)
		if len(created) != 1 || len(s.containers(name, false)) != 0 {
			return false
		}
		spare = created[0]
		return true
	})
	got := docker(t, "inspect", "-f", spec, spare)
	if !strings.Contains(got, `"lambda.precreated":"true"`) {
		t.Errorf("the pre-created container is not labelled lambda.precreated: %s", got)
	}
	holder, holderIP := docker(t, "inspect", "-f", `{{index .Config.Labels "lambda.holder.id"}}`, spare), ""
	if mode := docker(t, "inspect", "-f", "{{.HostConfig.NetworkMode}}", spare); holder == "" || mode != "container:"+holder {
		t.Fatalf("the pre-created container is in network mode %q with holder %q, want a holder's namespace", mode, holder)
	}
	if state := docker(t, "inspect", "-f", "{{.State.Status}}", holder); state != "running" {
		t.Errorf("the holder is %s before the cold start, want running", state)
	}
	holderIP = docker(t, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", holder)
	got = regexp.MustCompile(`"lambda\.(precreated|holder\.id|holder\.ip)":"[^"]*",`).ReplaceAllString(got, "")
	if got != regular {
		t.Errorf("the pre-created container's spec\n%s\ndiffers from a started instance's\n%s", got, regular)
	}
	if ip := docker(t, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", spare); ip != "" {
		t.Errorf("the pre-created container holds address %q before its start", ip)
	}

	resp, body := s.request("GET", s.host(name), "/", nil)
	if resp.StatusCode != 200 || resp.Header.Get("X-Lambda-Cold-Start") != "true" || !strings.Contains(body, `"env":"precreated"`) {
		t.Fatalf("the request after scaling to zero: %d cold=%q %s, want a cold 200 with FIXTURE_TAG", resp.StatusCode, resp.Header.Get("X-Lambda-Cold-Start"), body)
	}
	if now := s.containers(name, false); !slices.Equal(now, []string{spare}) {
		t.Errorf("running after the cold start: %v, want the pre-created %s", now, spare)
	}
	// It serves on its holder's address, which its own network
	// settings do not show: lambda describe lists it.
	if out := s.mustLambda("describe", name).stdout; !strings.Contains(out, holderIP+":") {
		t.Errorf("lambda describe does not show the instance on its holder's address %s:\n%s", holderIP, out)
	}
	waitFor(t, 60*time.Second, func() bool {
		next := s.precreated(name)
		return len(next) == 1 && next[0] != spare
	})

	s.mustLambda("delete", name)
	if left := docker(t, "ps", "-aq", "--filter", "label=lambda.function="+name); left != "" {
		t.Errorf("containers left after the delete: %s", left)
	}
	if left := docker(t, "ps", "-aq", "--filter", "label=lambda.holder.function="+name); left != "" {
		t.Errorf("network holders left after the delete: %s", left)
	}
}
