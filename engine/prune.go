package engine

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// DefaultKeepVersions is how many of a function's newest versions keep
// their image unless the server is told otherwise.
const DefaultKeepVersions = 10

// Bounds of pruning: a removal that takes longer is abandoned and retried,
// as is a version whose image is still in use (a draining instance).
const (
	pruneRemoveTimeout = time.Minute
	pruneRetryInterval = 30 * time.Second
)

// pruneQueue holds the functions whose old versions are to be pruned. The
// publish path only adds a name and wakes the loop: it never waits.
type pruneQueue struct {
	mu      sync.Mutex
	pending map[string]bool
	wake    chan struct{}
}

func newPruneQueue() *pruneQueue {
	return &pruneQueue{pending: map[string]bool{}, wake: make(chan struct{}, 1)}
}

func (q *pruneQueue) add(names ...string) {
	q.mu.Lock()
	for _, n := range names {
		q.pending[n] = true
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *pruneQueue) take() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]string, 0, len(q.pending))
	for n := range q.pending {
		out = append(out, n)
	}
	clear(q.pending)
	return out
}

// queuePrune asks the background loop to prune name's old versions.
func (e *Engine) queuePrune(name string) {
	if e.KeepVersions > 0 {
		e.pruning.add(name)
	}
}

// pruneLoop prunes every function once at start (the limit may have been
// lowered, or a previous run stopped mid-prune), then the functions queued
// after each publish. What could not be pruned is retried later.
func (e *Engine) pruneLoop() {
	if e.KeepVersions <= 0 {
		return
	}
	if fns, err := e.Store.ListFunctions(e.ctx); err != nil {
		e.Logger.Warn("prune: list functions", "err", err)
	} else {
		for _, fn := range fns {
			e.pruning.add(fn.Name)
		}
	}
	var retry []string
	for {
		var retryAfter <-chan time.Time
		if len(retry) > 0 {
			retryAfter = e.Clock.After(pruneRetryInterval)
		}
		select {
		case <-e.ctx.Done():
			return
		case <-e.pruning.wake:
		case <-retryAfter:
		}
		names := append(e.pruning.take(), retry...)
		slices.Sort(names)
		retry = nil
		for _, name := range slices.Compact(names) {
			if e.ctx.Err() != nil {
				return
			}
			if !e.pruneFunction(e.ctx, name) {
				retry = append(retry, name)
			}
		}
	}
}

// pruneFunction removes the images of name's versions beyond the newest
// KeepVersions, never the active one's, and marks those versions pruned.
// It reports whether nothing is left to retry.
func (e *Engine) pruneFunction(ctx context.Context, name string) bool {
	// Under the function's lock, so a rollback never warms a version whose
	// image is being removed.
	unlock := e.lockDeploys(name)
	defer unlock()
	fn, err := e.Store.FindFunction(ctx, name)
	if lambda.ErrorCode(err) == lambda.ENOTFOUND {
		return true // deleted since it was queued
	}
	if err != nil {
		e.Logger.Warn("prune: find function", "function", name, "err", err)
		return false
	}
	versions, err := e.Store.ListVersions(ctx, name)
	if err != nil {
		e.Logger.Warn("prune: list versions", "function", name, "err", err)
		return false
	}
	protected, err := e.aliasedVersions(ctx, fn)
	if err != nil {
		e.Logger.Warn("prune: list aliases", "function", name, "err", err)
		return false
	}
	stale := staleVersions(versions, e.KeepVersions, protected...)
	if len(stale) == 0 {
		return true
	}
	containers, err := e.Driver.ListInstances(ctx)
	if err != nil {
		e.Logger.Debug("prune: list containers", "function", name, "err", err)
		return false
	}
	inUse := map[int]bool{}
	for _, c := range containers {
		if c.Function == name {
			inUse[c.Version] = true
		}
	}
	done := true
	for _, v := range stale {
		if inUse[v.Number] {
			e.Logger.Debug("prune: version still has a container (draining); retrying later", "function", name, "version", v.Number)
			done = false
			continue
		}
		if err := e.removeVersionImage(ctx, v); err != nil {
			e.Logger.Warn("prune: remove image", "function", name, "version", v.Number, "image", v.Image, "err", err)
			done = false
			continue
		}
		if err := e.Store.MarkVersionPruned(ctx, name, v.Number); err != nil {
			// The image is gone: the next pass finds nothing to remove
			// and marks it then.
			e.Logger.Warn("prune: mark version pruned", "function", name, "version", v.Number, "err", err)
			done = false
			continue
		}
		e.Logger.Info("pruned an old version's image", "function", name, "version", v.Number, "image", v.Image, "keep_versions", e.KeepVersions)
	}
	return done
}

// removeVersionImage removes v's image by its tag, so an image another
// tag still names (the user's, for an image deploy) stays.
func (e *Engine) removeVersionImage(ctx context.Context, v *lambda.Version) error {
	ctx, cancel := context.WithTimeout(ctx, pruneRemoveTimeout)
	defer cancel()
	for _, ref := range e.versionTags(v) {
		if err := e.ImageBuilder.RemoveImage(ctx, ref); err != nil {
			return err
		}
	}
	e.unpush(ctx, v)
	return nil
}

// staleVersions returns the versions (oldest first) whose image is to be
// removed: those not yet pruned, older than the newest keep, and not
// protected: the active one (and, once functions have aliases, their
// targets).
func staleVersions(versions []*lambda.Version, keep int, protected ...int) []*lambda.Version {
	if keep <= 0 || len(versions) <= keep {
		return nil
	}
	byNumber := slices.Clone(versions)
	slices.SortFunc(byNumber, func(a, b *lambda.Version) int { return b.Number - a.Number })
	var out []*lambda.Version
	for _, v := range byNumber[keep:] {
		if !slices.Contains(protected, v.Number) && v.PrunedAt == nil {
			out = append(out, v)
		}
	}
	slices.Reverse(out)
	return out
}

// checkNotPruned refuses to serve v again once its image was pruned.
func checkNotPruned(v *lambda.Version) error {
	if v.PrunedAt == nil {
		return nil
	}
	return lambda.Errorf(lambda.ECONFLICT, "version %d of %q was pruned on %s: its image was removed to keep only the newest versions (lambda server --keep-versions); deploy its code again to serve it",
		v.Number, v.Function, v.PrunedAt.UTC().Format(time.DateTime+" UTC"))
}
