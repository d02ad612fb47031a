package engine

import (
	"context"
	"strings"

	"github.com/lambdahq/lambda"
)

// pushed reports whether v's identity is a digest reference a deploy
// pushed: with a registry every version's is, the server's own build
// pushed under func-NAME. The registry it names may be an earlier
// --registry than today's: that is where the image is.
func (e *Engine) pushed(v *lambda.Version) bool {
	return e.Pushed != nil && strings.Contains(v.ImageID, "/func-"+v.Function+"@sha256:")
}

// versionTags are the tags of v's image on the engine that built it: its
// own and, with a registry, the one it was pushed under, which would keep
// the image there once its own is gone. No other version has them.
func (e *Engine) versionTags(v *lambda.Version) []string {
	if e.Registry == "" {
		return []string{v.Image}
	}
	return []string{v.Image, e.Registry + "/" + v.Image}
}

// unpush deletes v's pushed image from the registry, unless another of
// its function's versions still records it: a build the cache answered
// pushes the digest of an earlier version again. A failure leaves the
// image in the registry, logged: the function's own state is sound.
func (e *Engine) unpush(ctx context.Context, v *lambda.Version) {
	if !e.pushed(v) {
		return
	}
	versions, err := e.Store.ListVersions(ctx, v.Function)
	if err != nil && lambda.ErrorCode(err) != lambda.ENOTFOUND {
		e.Logger.Warn("registry: cannot tell whether another version uses the image; leaving it", "function", v.Function, "version", v.Number, "image", v.ImageID, "err", err)
		return
	}
	for _, w := range versions {
		if w.Number != v.Number && w.ImageID == v.ImageID && w.PrunedAt == nil {
			return
		}
	}
	e.deletePushed(ctx, v)
	e.removeFromNodes(ctx, v.Function, []string{v.ImageID})
}

// unpushAll deletes the pushed images of versions, all of one function
// being deleted: none is kept for another. The nodes' copies go in one
// pass for all of them.
func (e *Engine) unpushAll(ctx context.Context, versions []*lambda.Version) {
	done := map[string]bool{}
	var refs []string
	for _, v := range versions {
		if e.pushed(v) && !done[v.ImageID] {
			done[v.ImageID] = true
			refs = append(refs, v.ImageID)
			e.deletePushed(ctx, v)
		}
	}
	if len(refs) > 0 {
		e.removeFromNodes(ctx, versions[0].Function, refs)
	}
}

func (e *Engine) deletePushed(ctx context.Context, v *lambda.Version) {
	if err := e.Pushed.DeleteImage(ctx, v.ImageID); err != nil {
		e.Logger.Warn("registry: image left there", "function", v.Function, "version", v.Number, "image", v.ImageID, "err", err)
		return
	}
	e.Logger.Info("registry: image deleted", "function", v.Function, "version", v.Number, "image", v.ImageID)
}
