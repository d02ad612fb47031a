package docker

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// Labels Compose puts on the containers it starts.
const (
	labelComposeProject = "com.docker.compose.project"
	labelComposeService = "com.docker.compose.service"
)

var _ lambda.ExternalWatcher = (*Driver)(nil)

// WatchExternal implements lambda.ExternalWatcher: the running containers
// that carry lambda.expose or faas.name and that no Lambda server started,
// listed (a Sync) and then followed from the engine's container events.
// The event stream is opened before the list, from a moment earlier, so
// nothing between the two is lost (an event may come twice: harmless). A
// broken stream is reopened with a new Sync, with backoff, until ctx
// ends; then the channel closes.
func (d *Driver) WatchExternal(ctx context.Context) (<-chan lambda.ExternalEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch := make(chan lambda.ExternalEvent, 16)
	go d.discover(ctx, ch)
	return ch, nil
}

func (d *Driver) discover(ctx context.Context, ch chan<- lambda.ExternalEvent) {
	defer close(ch)
	backoff := minBackoff
	for {
		connected := time.Now()
		err := d.discoverOnce(ctx, ch)
		if ctx.Err() != nil {
			return
		}
		if time.Since(connected) > maxBackoff {
			backoff = minBackoff
		}
		level := slog.LevelWarn
		if backoff > minBackoff {
			level = slog.LevelDebug
		}
		d.logger().Log(ctx, level, "docker: watching labelled containers failed, retrying", "err", d.wrap(err, "watch labelled containers"), "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// eventReplay is how far back a new event stream starts, so that events
// between opening it and the list are not lost to clock skew either.
const eventReplay = 2 * time.Second

// discoverOnce sends a Sync and then the changes, until the stream breaks.
func (d *Driver) discoverOnce(ctx context.Context, ch chan<- lambda.ExternalEvent) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	since := time.Now().Add(-eventReplay)
	// Every container event: Docker's filters cannot say "this label or
	// that one", so the labels are checked here.
	res := d.cli.Events(ctx, client.EventsListOptions{
		Since:   fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond()),
		Filters: make(client.Filters).Add("type", string(events.ContainerEventType)),
	})
	running, err := d.listExternal(ctx)
	if err != nil {
		return err
	}
	if err := send(ctx, ch, lambda.ExternalEvent{IsSync: true, Sync: running}); err != nil {
		return err
	}
	for {
		select {
		case m := <-res.Messages:
			ev, ok := d.externalEvent(ctx, m)
			if !ok {
				continue
			}
			if err := send(ctx, ch, ev); err != nil {
				return err
			}
		case err := <-res.Err:
			return err
		}
	}
}

func send(ctx context.Context, ch chan<- lambda.ExternalEvent, ev lambda.ExternalEvent) error {
	select {
	case ch <- ev:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Kinds of events that matter for a labelled container.
const (
	externalIgnore = iota
	externalUp     // it runs (again), or became healthy: inspect it
	externalDown   // it is going away or cannot serve: out of rotation now
)

// externalKind classifies a container event. A stop (docker stop,
// compose scale-down) sends kill with SIGTERM first: the replica leaves
// the rotation then, before its process even handles the signal. A kill
// with another signal (docker kill -s HUP) leaves it be.
func externalKind(m events.Message) int {
	if m.Type != events.ContainerEventType || m.Actor.ID == "" || !exposes(m.Actor.Attributes) {
		return externalIgnore
	}
	switch m.Action {
	case events.ActionStart, events.ActionUnPause, events.ActionHealthStatusHealthy:
		return externalUp
	case events.ActionDie, events.ActionStop, events.ActionPause, events.ActionDestroy, events.ActionHealthStatusUnhealthy:
		return externalDown
	case events.ActionKill:
		switch strings.TrimPrefix(strings.ToUpper(m.Actor.Attributes["signal"]), "SIG") {
		case "15", "9", "2", "TERM", "KILL", "INT":
			return externalDown
		}
	}
	return externalIgnore
}

// exposes reports whether labels ask for a function and no Lambda server
// manages the container (its own containers carry lambda.port too).
func exposes(labels map[string]string) bool {
	if _, managed := labels[lambda.LabelManaged]; managed {
		return false
	}
	_, a := labels[lambda.LabelExpose]
	_, b := labels[lambda.LabelFaasName]
	return a || b
}

// externalEvent turns a container event into a change; ok is false for
// events that change nothing.
func (d *Driver) externalEvent(ctx context.Context, m events.Message) (lambda.ExternalEvent, bool) {
	switch externalKind(m) {
	case externalDown:
		return lambda.ExternalEvent{Down: m.Actor.ID}, true
	case externalUp:
		c, serving, err := d.inspectExternal(ctx, m.Actor.ID)
		switch {
		case err != nil:
			d.logger().Warn("docker: cannot inspect a labelled container", "id", shortID(m.Actor.ID), "err", err)
			return lambda.ExternalEvent{}, false
		case !serving:
			// Gone again, paused, or its health check has not passed yet:
			// its healthy event brings it in.
			return lambda.ExternalEvent{Down: m.Actor.ID}, true
		}
		return lambda.ExternalEvent{Up: &c}, true
	}
	return lambda.ExternalEvent{}, false
}

// inspectTimeout bounds the inspect of one labelled container.
const inspectTimeout = 5 * time.Second

// inspectExternal reads a container; serving is false when it does not
// run, is paused, or has a health check that does not pass (yet).
func (d *Driver) inspectExternal(ctx context.Context, id string) (c lambda.ExternalContainer, serving bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, inspectTimeout)
	defer cancel()
	res, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return c, false, nil
	}
	if err != nil {
		return c, false, d.wrap(err, "inspect container %s", shortID(id))
	}
	return externalContainer(res.Container, d.network())
}

// externalContainer reads what the engine needs of an inspected container.
func externalContainer(in container.InspectResponse, ownNetwork string) (c lambda.ExternalContainer, serving bool, err error) {
	c = lambda.ExternalContainer{ID: in.ID, Name: strings.TrimPrefix(in.Name, "/")}
	if in.Config != nil {
		c.Labels = in.Config.Labels
	}
	c.Project, c.Service = c.Labels[labelComposeProject], c.Labels[labelComposeService]
	if in.NetworkSettings != nil {
		c.IP = reachableIP(in.NetworkSettings.Networks, ownNetwork)
	}
	if in.HostConfig != nil && in.HostConfig.NetworkMode.IsHost() {
		c.IP = "127.0.0.1" // it shares the host's network: the server reaches it there
	}
	st := in.State
	if st == nil || !st.Running || st.Paused || st.Restarting {
		return c, false, nil
	}
	c.Started, _ = time.Parse(time.RFC3339Nano, st.StartedAt)
	if st.Health != nil && st.Health.Status != container.NoHealthcheck && st.Health.Status != container.Healthy {
		return c, false, nil
	}
	return c, exposes(c.Labels), nil
}

// reachableIP picks the container's address the server can reach: on the
// functions' own network when it is attached to it (the server reaches
// its own containers there), else on the first of its networks, by name,
// that gave it an IPv4 address (a Compose project's bridge network is
// reachable from the host). "" when it has none (network none).
func reachableIP(eps map[string]*network.EndpointSettings, ownNetwork string) string {
	if ep := eps[ownNetwork]; ep != nil && ep.IPAddress.IsValid() {
		return ep.IPAddress.String()
	}
	names := make([]string, 0, len(eps))
	for name := range eps {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if ep := eps[name]; ep != nil && ep.IPAddress.IsValid() && ep.IPAddress.Is4() {
			return ep.IPAddress.String()
		}
	}
	for _, name := range names {
		if ep := eps[name]; ep != nil && ep.IPAddress.IsValid() {
			return ep.IPAddress.String()
		}
	}
	return ""
}

// listExternal lists the running labelled containers that serve now.
func (d *Driver) listExternal(ctx context.Context) ([]lambda.ExternalContainer, error) {
	seen := map[string]bool{}
	var out []lambda.ExternalContainer
	for _, label := range []string{lambda.LabelExpose, lambda.LabelFaasName} {
		res, err := d.cli.ContainerList(ctx, client.ContainerListOptions{
			Filters: make(client.Filters).Add("label", label).Add("status", "running"),
		})
		if err != nil {
			return nil, d.wrap(err, "list containers labelled %s", label)
		}
		for _, s := range res.Items {
			if seen[s.ID] || !exposes(s.Labels) {
				continue
			}
			seen[s.ID] = true
			c, serving, err := d.inspectExternal(ctx, s.ID)
			if err != nil {
				return nil, err
			}
			if serving {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
