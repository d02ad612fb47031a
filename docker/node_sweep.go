package docker

import (
	"context"
	"fmt"
	"io"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/client"
)

// nodeInUseWait bounds how long a node-sweep waits for an image to be
// free: the node's agent removes the containers of a removed service a
// moment after the manager removed it.
const nodeInUseWait = 20 * time.Second

// RemoveNodeImages is what a node-sweep task runs on its node: it removes
// refs from the engine d talks to (the node's socket, mounted into the
// task), once it checked that this engine is the Swarm node nodeID (the
// task's own, from its environment): a socket of another engine must never
// lose its images. Nothing is forced: an image a container uses is
// reported (after nodeInUseWait), one the node does not hold is no error.
// It writes a line per reference to out, prefixed with the node's name (the
// server quotes the job's output when a node failed), and fails if any is
// left.
func (d *Driver) RemoveNodeImages(ctx context.Context, nodeID string, refs []string, out io.Writer) error {
	if nodeID == "" {
		return lambda.Errorf(lambda.EINVALID, "no node ID (%s is empty): this command runs in the Swarm backend's node-sweep job, whose tasks get it from their node", NodeIDEnv)
	}
	res, err := d.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return d.wrap(err, "read Docker's info")
	}
	if got := res.Info.Swarm.NodeID; got != nodeID {
		return lambda.Errorf(lambda.EINVALID, "refusing to remove images: Docker at %s is Swarm node %q, not %q, the node this task runs on (is the socket mounted into the task that node's own?)", d.Host(), got, nodeID)
	}
	name := res.Info.Name
	var left []string
	for _, ref := range refs {
		what, err := d.removeWhenFree(ctx, ref)
		if err != nil {
			left = append(left, ref)
			fmt.Fprintf(out, "%s: left %s: %v\n", name, ref, err)
			continue
		}
		fmt.Fprintf(out, "%s: %s %s\n", name, what, ref)
	}
	if len(left) > 0 {
		return lambda.Errorf(lambda.ECONFLICT, "node %s keeps %d of %d images", nodeID, len(left), len(refs))
	}
	return nil
}

// removeWhenFree removes ref, not forced, trying again while a container
// uses it (at most nodeInUseWait); it says "removed" or "absent".
func (d *Driver) removeWhenFree(ctx context.Context, ref string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, nodeInUseWait)
	defer cancel()
	for {
		_, err := d.cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{PruneChildren: true})
		switch {
		case err == nil:
			return "removed", nil
		case cerrdefs.IsNotFound(err):
			return "absent", nil
		case !cerrdefs.IsConflict(err):
			return "", d.wrap(err, "remove image %s", ref)
		}
		select {
		case <-ctx.Done():
			return "", lambda.Errorf(lambda.ECONFLICT, "in use: %s", daemonMessage(err))
		case <-time.After(500 * time.Millisecond):
		}
	}
}
