package docker

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// InstanceLogs returns up to tail lines of the instance's output, read
// through the manager from the node that runs (or ran) its task.
func (s *Swarm) InstanceLogs(ctx context.Context, id string, tail int) (string, error) {
	if id == "" {
		return "", lambda.Errorf(lambda.EINVALID, "instance ID is empty")
	}
	opts := client.ServiceLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "all"}
	if tail > 0 {
		opts.Tail = strconv.Itoa(tail)
	}
	rc, err := s.d.cli.ServiceLogs(ctx, id, opts)
	if cerrdefs.IsNotFound(err) {
		return "", lambda.Errorf(lambda.ENOTFOUND, "instance %s not found", id)
	}
	if err != nil {
		return "", s.d.wrap(err, "read logs of instance %s", id)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := stdcopy.StdCopy(&buf, &buf, io.LimitReader(rc, maxLogRead)); err != nil {
		return "", s.d.wrap(err, "read logs of instance %s", id)
	}
	return unframeAll(string(lastBytes(buf.Bytes(), maxLogResult))), nil
}

// logDrain is how long a follower keeps reading after the task ended:
// the last lines travel from the node after the state does.
const logDrain = time.Second

// FollowLogs follows the instance's output with ServiceLogs(Follow,
// Timestamps). A service's log stream does not end with its task, so the
// task's state is watched beside it: once the task ended (or its node is
// lost), what is still in flight is read for logDrain and FollowLogs
// returns nil, as it does locally when the container stops.
func (s *Swarm) FollowLogs(ctx context.Context, id string, since time.Time, emit func([]lambda.LogLine)) error {
	if id == "" {
		return lambda.Errorf(lambda.EINVALID, "instance ID is empty")
	}
	opts := client.ServiceLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true, Timestamps: true}
	if !since.IsZero() {
		opts.Since = since.UTC().Format(time.RFC3339Nano)
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rc, err := s.d.cli.ServiceLogs(fctx, id, opts)
	if cerrdefs.IsNotFound(err) {
		return lambda.Errorf(lambda.ENOTFOUND, "instance %s not found", id)
	}
	if err != nil {
		return s.d.wrap(err, "follow logs of instance %s", id)
	}
	defer rc.Close()
	ended := make(chan struct{})
	go func() {
		s.waitEnded(fctx, id)
		close(ended)
		select {
		case <-fctx.Done():
		case <-time.After(logDrain):
		}
		rc.Close()
		cancel()
	}()
	err = demuxLines(rc, since, emit)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	select {
	case <-ended:
		return nil // closed by the watcher: the task ended
	default:
	}
	if err != nil {
		return s.d.wrap(err, "follow logs of instance %s", id)
	}
	return nil
}

// waitEnded returns once the service's task is no longer running on a
// node that is up, the service is gone, or ctx ends.
func (s *Swarm) waitEnded(ctx context.Context, id string) {
	poll := time.NewTicker(s.poll())
	defer poll.Stop()
	for {
		if _, err := s.d.cli.ServiceInspect(ctx, id, client.ServiceInspectOptions{}); cerrdefs.IsNotFound(err) {
			return // removed: its task stops
		}
		res, err := s.d.cli.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("service", id)})
		if err == nil {
			t, ok := currentTask(res.Items)
			if !ok || terminal(t.Status.State) {
				return
			}
			if t.Status.State == swarm.TaskStateRunning && !s.nodeUp(ctx, t.NodeID) {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		}
	}
}

func (s *Swarm) nodeUp(ctx context.Context, nodeID string) bool {
	res, err := s.d.cli.NodeInspect(ctx, nodeID, client.NodeInspectOptions{})
	if err != nil {
		return !cerrdefs.IsNotFound(err) // unknown: assume up, the next poll tells
	}
	return res.Node.Status.State == swarm.NodeStateReady
}
