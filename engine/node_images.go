package engine

import (
	"context"
	"time"
)

// nodeImagesTimeout bounds a removal from the cluster's nodes: a job on
// every node, which first pulls the platform's own image there.
const nodeImagesTimeout = 2 * time.Minute

// removeFromNodes removes refs, images just deleted from the registry,
// from the nodes that pulled them (lambda.NodeImages). A failure is
// logged with what is left where, and fails nothing: the function's or
// version's own state is already sound. The removal goes on when ctx is
// cancelled (a client that left): the manager's copies and the registry's
// are gone already, and it is bounded.
func (e *Engine) removeFromNodes(ctx context.Context, function string, refs []string) {
	if e.NodeImages == nil || len(refs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), nodeImagesTimeout)
	defer cancel()
	start := time.Now()
	if err := e.NodeImages.RemoveFromNodes(ctx, refs); err != nil {
		e.Logger.Warn("nodes: images may be left on some nodes", "function", function, "images", refs, "err", err)
		return
	}
	e.Logger.Info("nodes: images removed from every node", "function", function, "images", len(refs), "took", time.Since(start).Round(time.Millisecond))
}
