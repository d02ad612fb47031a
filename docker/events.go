package docker

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
)

// Reconnect backoff of WatchExits.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// WatchExits sends the exits of platform containers, with their exit code
// and whether they ran out of memory. It never fails while Docker is down: it keeps reconnecting until
// ctx ends, then closes the channel. On reconnect it asks for the events
// since the stream broke, so a short outage loses nothing (an ID may then
// arrive twice), but a daemon restart forgets its events: consumers must
// still reconcile with ListInstances.
func (d *Driver) WatchExits(ctx context.Context) (<-chan lambda.Exit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch := make(chan lambda.Exit, 16)
	go d.watch(ctx, ch)
	return ch, nil
}

func (d *Driver) watch(ctx context.Context, ch chan<- lambda.Exit) {
	defer close(ch)
	filters := d.managedFilters().
		Add("type", string(events.ContainerEventType)).
		Add("event", string(events.ActionDie), string(events.ActionOOM))
	backoff := minBackoff
	var since time.Time
	oom := newOOMPairing()
	for {
		opts := client.EventsListOptions{Filters: filters}
		if !since.IsZero() {
			opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
		}
		connected := time.Now()
		err := d.pump(ctx, opts, ch, &since, oom)
		if ctx.Err() != nil {
			return
		}
		if time.Since(connected) > maxBackoff {
			backoff = minBackoff // the stream was healthy for a while
		}
		if since.IsZero() {
			since = connected
		}
		// Warn once per outage; the retries that follow are noise.
		level := slog.LevelWarn
		if backoff > minBackoff {
			level = slog.LevelDebug
		}
		d.logger().Log(ctx, level, "docker: event stream broke, reconnecting", "err", d.wrap(err, "watch events"), "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// pump forwards one connection's die events until it breaks. since
// advances to each event's time so a reconnect resumes where this one
// stopped. oom pairs each container's oom and die events, which Docker
// sends in either order (see oomPairing).
func (d *Driver) pump(ctx context.Context, opts client.EventsListOptions, ch chan<- lambda.Exit, since *time.Time, oom *oomPairing) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the client's reader goroutine
	res := d.cli.Events(ctx, opts)
	for {
		select {
		case m := <-res.Messages:
			if m.TimeNano != 0 {
				*since = time.Unix(0, m.TimeNano)
			}
			if m.Actor.ID == "" {
				continue
			}
			if m.Actor.Attributes[labelHolder] == "true" {
				if m.Action == events.ActionDie {
					for _, exit := range d.holderDied(ctx, m.Actor.ID) {
						select {
						case ch <- exit:
						case <-ctx.Done():
							return ctx.Err()
						}
					}
				}
				continue // a holder is no instance (holder.go)
			}
			var exit lambda.Exit
			if m.Action == events.ActionOOM {
				var late bool
				if exit, late = oom.oomEvent(m.Actor.ID, time.Now()); !late {
					continue
				}
			} else {
				exit = d.exitOf(ctx, m, oom.dieEvent(m.Actor.ID))
				oom.died(exit, time.Now())
			}
			select {
			case ch <- exit:
			case <-ctx.Done():
				return ctx.Err()
			}
		case err := <-res.Err:
			return err
		}
	}
}

// exitStatusKilled is the status of a process killed by SIGKILL (128+9),
// which is what the kernel's OOM killer sends.
const exitStatusKilled = 137

// exitOf reads a die event. An exit by SIGKILL without an oom event seen
// (the stream may have missed it) is checked with an inspect; when the
// kernel's OOM reaches Docker after the exit, neither knows yet, and the
// late oom event corrects the exit (oomPairing).
func (d *Driver) exitOf(ctx context.Context, m events.Message, oomSeen bool) lambda.Exit {
	exit := lambda.Exit{ID: m.Actor.ID, ExitCode: -1, OOMKilled: oomSeen}
	if code, err := strconv.Atoi(m.Actor.Attributes["exitCode"]); err == nil {
		exit.ExitCode = code
	}
	if !exit.OOMKilled && exit.ExitCode == exitStatusKilled {
		ictx, cancel := context.WithTimeout(ctx, inspectExitTimeout)
		defer cancel()
		res, err := d.cli.ContainerInspect(ictx, m.Actor.ID, client.ContainerInspectOptions{})
		if err == nil && res.Container.State != nil {
			exit.OOMKilled = res.Container.State.OOMKilled
		}
	}
	return exit
}

// inspectExitTimeout bounds the inspect of a container that died.
const inspectExitTimeout = 2 * time.Second
