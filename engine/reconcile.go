package engine

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// reconcileLoop reconciles containers, then images, once the container
// engine answers, retrying each while it is unreachable, so a server
// started before Docker recovers by itself.
func (e *Engine) reconcileLoop() {
	steps := []struct {
		what string
		run  func(context.Context) error
	}{
		{"containers", e.reconcile},
		{"images", e.reconcileImages},
	}
	for _, step := range steps {
		for {
			err := step.run(e.ctx)
			if err == nil {
				break
			}
			if e.ctx.Err() != nil {
				return
			}
			e.Logger.Warn("cannot reconcile "+step.what+" yet; retrying", "err", err)
			select {
			case <-e.ctx.Done():
				return
			case <-time.After(e.ReconcileInterval):
			}
		}
	}
	e.Logger.Info("reconciled containers and images")
	if e.interruptedDeploy {
		e.sweepInterruptedBuild()
	}
}

// interruptedBuildWait is how long after its start a server that found a
// deploy interrupted by its last stop sweeps the images again: the Docker
// daemon can finish that deploy's build after the server died, and after
// the first sweep, and nothing else would remove its image until the
// next restart (e2e TestHostileFunctions "server killed mid-deploy").
var interruptedBuildWait = time.Minute

// sweepInterruptedBuild removes, once interruptedBuildWait has passed, the
// images no version records, as reconcileImages does at start.
func (e *Engine) sweepInterruptedBuild() {
	select {
	case <-e.ctx.Done():
		return
	case <-time.After(interruptedBuildWait):
	}
	if err := e.reconcileImages(e.ctx); err != nil && e.ctx.Err() == nil {
		e.Logger.Warn("cannot sweep the images of a deploy the last stop interrupted", "err", err)
	}
}

// reconcile adopts, for each function, one running container of its active
// version that still answers, and removes every other container labelled as
// the platform's: leftovers of old versions, deleted functions or crashes.
func (e *Engine) reconcile(ctx context.Context) error {
	e.starts.Lock()
	defer e.starts.Unlock()
	containers, err := e.Driver.ListInstances(ctx)
	if err != nil {
		return err
	}
	for _, c := range containers {
		if _, mine := e.owned.Load(c.ID); mine || e.adopt(ctx, c) {
			continue
		}
		e.Logger.Info("removing leftover container", "function", c.Function, "version", c.Version, "container", short(c.ID))
		e.stopContainer(c.ID)
	}
	return nil
}

func (e *Engine) adopt(ctx context.Context, c *lambda.Instance) bool {
	if !c.Running || c.Addr == "" {
		return false
	}
	fn, err := e.Store.FindFunction(ctx, c.Function)
	if err != nil || fn.Active == nil {
		return false
	}
	if c.Paused {
		// Paused by a server that died before it could stop it: thawed,
		// it serves like any instance left running, and the reaper
		// pauses it again once it idles.
		if err := e.Driver.UnpauseInstance(ctx, c.ID); err != nil {
			e.Logger.Warn("cannot unpause leftover paused container", "function", c.Function, "container", short(c.ID), "err", err)
			return false
		}
		c.Paused = false
	}
	conn, err := net.DialTimeout("tcp", c.Addr, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	st, err := e.state(ctx, c.Function)
	if err != nil {
		return false
	}
	// A version an alias routes to (a canary's) has a pool too.
	st.mu.Lock()
	p := st.poolLocked(c.Version)
	st.mu.Unlock()
	if p == nil || !e.reserveSlot() {
		return false
	}
	in := &instance{Instance: c}
	e.live.Store(c.ID, in)
	e.collectLogs(c, p.version.Config.Protocol, true)
	p.add([]*instance{in})
	p.kick()
	e.Logger.Info("re-adopted instance", "function", c.Function, "version", c.Version, "container", short(c.ID))
	return true
}

// reconcileImages removes this server's function images that no recorded
// version uses: what a server killed during a deploy left, a dangling
// image of a build that never finished or a func-NAME:vN tag that was
// never recorded. The driver lists only images labelled with the server's
// namespace, so other servers' images, base images and images without
// the platform's labels are never touched.
func (e *Engine) reconcileImages(ctx context.Context) error {
	if e.Images == nil {
		return nil
	}
	imgs, err := e.Images.ListImagesByLabel(ctx, map[string]string{lambda.LabelManaged: "true"})
	if err != nil {
		return err
	}
	byFunction := map[string][]*lambda.Image{}
	for _, img := range imgs {
		if fn := img.Labels[lambda.LabelFunction]; fn != "" {
			byFunction[fn] = append(byFunction[fn], img)
		}
	}
	for fn, imgs := range byFunction {
		if err := e.removeUnusedImages(ctx, fn, imgs); err != nil {
			return err
		}
	}
	return nil
}

// removeUnusedImages removes those of fn's images no version of fn
// records. It holds fn's deploy lock, so an image a deploy is building or
// starting (not recorded yet) is never taken for a leftover.
func (e *Engine) removeUnusedImages(ctx context.Context, fn string, imgs []*lambda.Image) error {
	unlock := e.lockDeploys(fn)
	defer unlock()
	used := map[string]bool{}
	versions, err := e.Store.ListVersions(ctx, fn)
	if err != nil && lambda.ErrorCode(err) != lambda.ENOTFOUND {
		return err
	}
	for _, v := range versions {
		used[v.ImageID] = true
	}
	for _, img := range imgs {
		if used[img.ID] {
			continue
		}
		if img.Labels[lambda.LabelVersion] == "" {
			// No version's: the builder's part of a build whose code's
			// layer the driver wrote (docker/build_code.go), kept as the
			// cache of the function's next builds (removed, the next
			// deploy runs every step before the code again, a dependency
			// install included). Delete removes it with the function.
			continue
		}
		e.Logger.Info("removing leftover image", "function", fn, "image", short(strings.TrimPrefix(img.ID, "sha256:")), "tags", img.Tags)
		for _, ref := range append(slices.Clone(img.Tags), img.ID) {
			err := e.ImageBuilder.RemoveImage(ctx, ref)
			if lambda.ErrorCode(err) == lambda.ECONFLICT {
				// A container still uses it: the next start retries.
				e.Logger.Warn("leftover image is in use; leaving it", "function", fn, "image", ref, "err", err)
				break
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// tempPrefix starts the name of every temporary directory the engine and
// the builders create in TempDir.
const tempPrefix = "lambda-"

// removeLeftoverDirs removes the temporary directories a previous run of
// the server left in TempDir (extracted code of deploys it was killed
// in, builders' work directories). It runs at Open, before any deploy can
// create one. The shared system temporary directory (TempDir "") is left
// alone: other servers use it too.
func (e *Engine) removeLeftoverDirs() {
	if e.TempDir == "" {
		return
	}
	dirs, err := filepath.Glob(filepath.Join(e.TempDir, tempPrefix+"*"))
	if err != nil {
		return // only a malformed pattern fails
	}
	for _, dir := range dirs {
		// A deploy's own folder: a deploy was under way when the server
		// stopped, and its build may still end in the daemon.
		if strings.HasPrefix(filepath.Base(dir), tempPrefix+"deploy-") {
			e.interruptedDeploy = true
		}
		e.Logger.Info("removing leftover temporary directory", "dir", dir)
		if err := os.RemoveAll(dir); err != nil {
			e.Logger.Warn("cannot remove leftover temporary directory", "dir", dir, "err", err)
		}
	}
}
