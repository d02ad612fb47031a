package docker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
)

// Reconnect backoff of WatchExits.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// WatchExits sends the IDs of platform containers that die or run out of
// memory. It never fails while Docker is down: it keeps reconnecting until
// ctx ends, then closes the channel. On reconnect it asks for the events
// since the stream broke, so a short outage loses nothing (an ID may then
// arrive twice), but a daemon restart forgets its events: consumers must
// still reconcile with ListInstances.
func (d *Driver) WatchExits(ctx context.Context) (<-chan string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch := make(chan string, 16)
	go d.watch(ctx, ch)
	return ch, nil
}

func (d *Driver) watch(ctx context.Context, ch chan<- string) {
	defer close(ch)
	filters := d.managedFilters().
		Add("type", string(events.ContainerEventType)).
		Add("event", string(events.ActionDie), string(events.ActionOOM))
	backoff := minBackoff
	var since time.Time
	for {
		opts := client.EventsListOptions{Filters: filters}
		if !since.IsZero() {
			opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
		}
		connected := time.Now()
		err := d.pump(ctx, opts, ch, &since)
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

// pump forwards one connection's events until it breaks. since advances
// to each event's time so a reconnect resumes where this one stopped.
func (d *Driver) pump(ctx context.Context, opts client.EventsListOptions, ch chan<- string, since *time.Time) error {
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
			select {
			case ch <- m.Actor.ID:
			case <-ctx.Done():
				return ctx.Err()
			}
		case err := <-res.Err:
			return err
		}
	}
}
