package lambda

import "context"

// ImageRegistry removes from a registry what deploys pushed to it (the
// Swarm backend's --registry): the images of a deleted function, of a
// pruned version, of a deploy that failed. The registry package
// implements it with the distribution API.
type ImageRegistry interface {
	// DeleteImage deletes the manifest ref names (HOST/NAME@sha256:…)
	// from its registry, and with it every tag that points to it; its
	// layers stay until the registry's garbage collection. A manifest
	// already gone is not an error; a registry that allows no deletes is
	// ENOTIMPLEMENTED, one that wants credentials EUNAUTHORIZED.
	DeleteImage(ctx context.Context, ref string) error
}
