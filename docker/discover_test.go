package docker

import (
	"net/netip"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"
)

func TestExternalKind(t *testing.T) {
	exposed := map[string]string{lambda.LabelExpose: "adder", lambda.LabelExposePort: "8080", "signal": "15"}
	faas := map[string]string{lambda.LabelFaasName: "adder"}
	ours := map[string]string{lambda.LabelManaged: "true", lambda.LabelExpose: "adder", lambda.LabelExposePort: "8080"}
	plain := map[string]string{"com.docker.compose.service": "db"}
	with := func(attrs map[string]string, k, v string) map[string]string {
		out := map[string]string{k: v}
		for a, b := range attrs {
			if a != k {
				out[a] = b
			}
		}
		return out
	}
	tests := []struct {
		name   string
		action events.Action
		attrs  map[string]string
		want   int
	}{
		{"start", events.ActionStart, exposed, externalUp},
		{"faas start", events.ActionStart, faas, externalUp},
		{"unpause", events.ActionUnPause, exposed, externalUp},
		{"healthy", events.ActionHealthStatusHealthy, exposed, externalUp},
		{"unhealthy", events.ActionHealthStatusUnhealthy, exposed, externalDown},
		{"stop's SIGTERM", events.ActionKill, exposed, externalDown},
		{"SIGKILL", events.ActionKill, with(exposed, "signal", "9"), externalDown},
		{"named signal", events.ActionKill, with(exposed, "signal", "SIGTERM"), externalDown},
		{"SIGHUP", events.ActionKill, with(exposed, "signal", "1"), externalIgnore},
		{"die", events.ActionDie, exposed, externalDown},
		{"stop", events.ActionStop, exposed, externalDown},
		{"pause", events.ActionPause, exposed, externalDown},
		{"destroy", events.ActionDestroy, exposed, externalDown},
		{"exec", events.ActionExecStart, exposed, externalIgnore},
		{"create", events.ActionCreate, exposed, externalIgnore},
		{"a platform container", events.ActionStart, ours, externalIgnore},
		{"an unlabelled container", events.ActionStart, plain, externalIgnore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := events.Message{Type: events.ContainerEventType, Action: tt.action, Actor: events.Actor{ID: "c1", Attributes: tt.attrs}}
			if got := externalKind(m); got != tt.want {
				t.Errorf("externalKind(%s) = %d, want %d", tt.action, got, tt.want)
			}
		})
	}
	if got := externalKind(events.Message{Type: events.NetworkEventType, Action: events.ActionStart, Actor: events.Actor{ID: "n", Attributes: exposed}}); got != externalIgnore {
		t.Errorf("a network event counted: %d", got)
	}
}

func ep(ip string) *network.EndpointSettings {
	return &network.EndpointSettings{IPAddress: netip.MustParseAddr(ip)}
}

func TestReachableIP(t *testing.T) {
	tests := []struct {
		name string
		eps  map[string]*network.EndpointSettings
		want string
	}{
		{"none", nil, ""},
		{"network none", map[string]*network.EndpointSettings{"none": {}}, ""},
		{"compose default", map[string]*network.EndpointSettings{"shop_default": ep("172.20.0.3")}, "172.20.0.3"},
		{"the functions' network first", map[string]*network.EndpointSettings{"a_net": ep("172.20.0.3"), "lambda": ep("172.18.0.5")}, "172.18.0.5"},
		{"first by name", map[string]*network.EndpointSettings{"b_net": ep("172.21.0.3"), "a_net": ep("172.20.0.3")}, "172.20.0.3"},
		{"IPv4 first", map[string]*network.EndpointSettings{"a_net": ep("fd00::3"), "b_net": ep("172.21.0.3")}, "172.21.0.3"},
		{"IPv6 only", map[string]*network.EndpointSettings{"a_net": ep("fd00::3")}, "fd00::3"},
	}
	for _, tt := range tests {
		if got := reachableIP(tt.eps, "lambda"); got != tt.want {
			t.Errorf("%s: reachableIP = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestExternalContainer(t *testing.T) {
	labels := map[string]string{lambda.LabelExpose: "adder", lambda.LabelExposePort: "8080", labelComposeProject: "shop", labelComposeService: "adder"}
	base := func() container.InspectResponse {
		return container.InspectResponse{
			ID: "c1", Name: "/shop-adder-1",
			State:           &container.State{Running: true, StartedAt: "2026-12-06T01:00:00.5Z"},
			Config:          &container.Config{Labels: labels},
			HostConfig:      &container.HostConfig{NetworkMode: "shop_default"},
			NetworkSettings: &container.NetworkSettings{Networks: map[string]*network.EndpointSettings{"shop_default": ep("172.20.0.3")}},
		}
	}
	c, serving, err := externalContainer(base(), "lambda")
	if err != nil || !serving {
		t.Fatalf("running container: serving %v, %v", serving, err)
	}
	if c.Name != "shop-adder-1" || c.IP != "172.20.0.3" || c.Project != "shop" || c.Service != "adder" || c.Started.IsZero() || c.Labels[lambda.LabelExpose] != "adder" {
		t.Errorf("container read as %+v", c)
	}

	tests := []struct {
		name   string
		change func(*container.InspectResponse)
		want   bool
	}{
		{"exited", func(in *container.InspectResponse) { in.State.Running = false }, false},
		{"paused", func(in *container.InspectResponse) { in.State.Paused = true }, false},
		{"restarting", func(in *container.InspectResponse) { in.State.Restarting = true }, false},
		{"health starting", func(in *container.InspectResponse) { in.State.Health = &container.Health{Status: container.Starting} }, false},
		{"unhealthy", func(in *container.InspectResponse) { in.State.Health = &container.Health{Status: container.Unhealthy} }, false},
		{"healthy", func(in *container.InspectResponse) { in.State.Health = &container.Health{Status: container.Healthy} }, true},
		{"managed", func(in *container.InspectResponse) {
			in.Config = &container.Config{Labels: map[string]string{lambda.LabelManaged: "true", lambda.LabelExpose: "x"}}
		}, false},
	}
	for _, tt := range tests {
		in := base()
		tt.change(&in)
		if _, serving, _ := externalContainer(in, "lambda"); serving != tt.want {
			t.Errorf("%s: serving %v, want %v", tt.name, serving, tt.want)
		}
	}

	host := base()
	host.HostConfig.NetworkMode = "host"
	host.NetworkSettings.Networks = map[string]*network.EndpointSettings{"host": {}}
	if c, _, _ := externalContainer(host, "lambda"); c.IP != "127.0.0.1" {
		t.Errorf("a container on the host's network: IP %q, want 127.0.0.1", c.IP)
	}
}
