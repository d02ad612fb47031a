package lambda

import "context"

// NodeImages removes, from every node of a cluster, the copies of images
// the nodes pulled to run instances (the Swarm backend): deleting an
// image from the registry leaves them, and the manager's API reaches no
// node's image store. The docker package's Swarm driver implements it with
// a one-shot job on every node (docs/scale-out.md).
type NodeImages interface {
	// RemoveFromNodes removes refs (REGISTRY/NAME@sha256:…) from every
	// node that is up, in one pass for all of them. A node that holds none
	// of them is no error; the error names the nodes that may keep some
	// (down, in use, failed) and what they keep.
	RemoveFromNodes(ctx context.Context, refs []string) error
}
