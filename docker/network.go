package docker

import (
	"cmp"
	"context"
	"slices"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// ensureNetwork returns the ID of the dedicated bridge network, creating it
// on first use. Inter-container traffic is off: functions only talk to the
// server (on the host) and the outside world.
func (d *Driver) ensureNetwork(ctx context.Context) (string, error) {
	d.netMu.Lock()
	defer d.netMu.Unlock()
	if d.netID != "" {
		return d.netID, nil
	}
	name := d.network()
	id, err := d.findNetwork(ctx, name)
	if err != nil {
		return "", err
	}
	if id == "" {
		created, err := d.cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{
			Driver:   "bridge",
			Internal: d.Internal,
			Labels:   map[string]string{lambda.LabelManaged: "true"},
			Options:  map[string]string{"com.docker.network.bridge.enable_icc": "false"},
		})
		if err != nil && !cerrdefs.IsConflict(err) {
			return "", d.wrap(err, "create Docker network %q", name)
		}
		// Docker 20.10 does not refuse a second network with the same name,
		// so two servers starting together may both create one. All agree on
		// the oldest; the others remove the one they made. A moment's wait
		// lets a concurrent creation show up in the list first, so every
		// creator chooses among the same networks.
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(networkSettle):
		}
		if id, err = d.findNetwork(ctx, name); err != nil {
			return "", err
		}
		if created.ID != "" && created.ID != id {
			if _, err := d.cli.NetworkRemove(ctx, created.ID, client.NetworkRemoveOptions{}); err != nil {
				d.logger().Warn("docker: could not remove duplicate network", "network", name, "id", created.ID, "err", err)
			}
		}
		if id == "" {
			return "", lambda.Errorf(lambda.EUNAVAILABLE, "Docker network %q vanished right after it was created; retry", name)
		}
		d.logger().Info("docker: network ready", "network", name, "id", id)
	}
	d.netID = id
	return id, nil
}

// networkSettle is how long a creator waits before choosing among networks
// of the same name; it is paid once per server, when the network is new.
const networkSettle = 250 * time.Millisecond

// findNetwork returns the ID of the oldest network called name, or "".
func (d *Driver) findNetwork(ctx context.Context, name string) (string, error) {
	res, err := d.cli.NetworkList(ctx, client.NetworkListOptions{
		Filters: make(client.Filters).Add("name", name),
	})
	if err != nil {
		return "", d.wrap(err, "list Docker networks")
	}
	// The name filter matches substrings.
	nets := slices.DeleteFunc(res.Items, func(n network.Summary) bool { return n.Name != name })
	if len(nets) == 0 {
		return "", nil
	}
	oldest := slices.MinFunc(nets, func(a, b network.Summary) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return oldest.ID, nil
}

func (d *Driver) forgetNetwork() {
	d.netMu.Lock()
	d.netID = ""
	d.netMu.Unlock()
}

func (d *Driver) cachedNetwork() string {
	d.netMu.Lock()
	defer d.netMu.Unlock()
	return d.netID
}
