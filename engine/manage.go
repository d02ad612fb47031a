package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lambdahq/lambda"
)

// Rollback implements lambda.FunctionService.
func (e *Engine) Rollback(ctx context.Context, name string, to int) (*lambda.Function, error) {
	ctx, unlock := e.lockCancelable(ctx, name)
	defer unlock()
	fn, err := e.rollback(ctx, name, to)
	return fn, canceled(ctx, err)
}

func (e *Engine) rollback(ctx context.Context, name string, to int) (*lambda.Function, error) {
	fn, err := e.Store.FindFunction(ctx, name)
	if err != nil {
		return nil, err
	}
	if to == 0 || to == fn.ActiveVersion {
		// A canary in live's split is what a rollback undoes first: live
		// keeps its version, the canary gets no more traffic.
		if cleared, err := e.clearSplit(ctx, name); err != nil || cleared {
			if err != nil {
				return nil, err
			}
			return e.Store.FindFunction(ctx, name)
		}
	}
	target, err := e.rollbackTarget(ctx, fn, to)
	if err != nil {
		return nil, err
	}
	if err := checkNotPruned(target); err != nil {
		return nil, err
	}
	if ok, err := e.ImageBuilder.ImageExists(ctx, target.ImageID); err != nil {
		return nil, err
	} else if !ok {
		return nil, lambda.Errorf(lambda.ECONFLICT, "the image of version %d of %q (%s) is gone; deploy the code again instead", target.Number, name, target.Image)
	}
	warm, err := e.warmUp(ctx, target, fn.Scaling.Effective(target.Config.Protocol))
	if err != nil {
		return nil, fmt.Errorf("version %d did not start, version %d keeps serving: %w", target.Number, fn.ActiveVersion, err)
	}
	if err := e.Store.ActivateVersion(ctx, name, target.Number); err != nil {
		for _, in := range warm {
			e.stopInstance(in)
		}
		return nil, err
	}
	e.switchTo(name, target, fn.Scaling, warm)
	e.Logger.Info("rolled back", "function", name, "from", fn.ActiveVersion, "to", target.Number)
	return e.Store.FindFunction(ctx, name)
}

// rollbackTarget resolves `to` (0: the newest version older than the
// active one) to a version other than the active one.
func (e *Engine) rollbackTarget(ctx context.Context, fn *lambda.Function, to int) (*lambda.Version, error) {
	if to == fn.ActiveVersion {
		return nil, lambda.Errorf(lambda.ECONFLICT, "version %d of %q is already active", to, fn.Name)
	}
	if to != 0 {
		return e.Store.FindVersion(ctx, fn.Name, to)
	}
	versions, err := e.Store.ListVersions(ctx, fn.Name)
	if err != nil {
		return nil, err
	}
	var prev *lambda.Version
	for _, v := range versions {
		if v.Number < fn.ActiveVersion {
			prev = v
		}
	}
	if prev == nil {
		return nil, lambda.Errorf(lambda.ECONFLICT, "function %q has no version before %d to roll back to; see \"lambda versions %s\"", fn.Name, fn.ActiveVersion, fn.Name)
	}
	return prev, nil
}

// Delete implements lambda.FunctionService. A deploy or rollback in
// progress is cancelled; requests in flight finish (within the function's
// timeout) while new and queued ones get ENOTFOUND; then the containers,
// images and rows go.
func (e *Engine) Delete(ctx context.Context, name string) error {
	if err := e.refuseExternalDelete(name); err != nil {
		return err
	}
	e.cancelDeploy(name, lambda.Errorf(lambda.ECONFLICT, "function %q is being deleted", name))
	unlock := e.lockDeploys(name)
	defer unlock()
	versions, err := e.Store.ListVersions(ctx, name)
	if err != nil {
		return err
	}
	if err := e.Driver.Ping(ctx); err != nil {
		return err
	}
	e.mu.Lock()
	e.deleting[name] = true
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.deleting, name)
		e.mu.Unlock()
	}()
	if err := e.drain(ctx, name, versions); err != nil {
		return err
	}
	if err := e.removeContainers(ctx, name); err != nil {
		return err
	}
	if err := e.removeImagesOnceFree(ctx, name, versions); err != nil {
		return err
	}
	e.unpushAll(ctx, versions)
	if err := e.Store.DeleteFunction(ctx, name); err != nil {
		return err
	}
	if e.Logs != nil {
		// Its logs could no longer be read (the API knows no such
		// function), and a new function of the name starts afresh.
		if err := e.Logs.DeleteFunction(ctx, name); err != nil {
			e.Logger.Warn("cannot remove a deleted function's logs", "function", name, "err", err)
		}
	}
	for _, o := range e.DeleteObservers {
		o.FunctionDeleted(name)
	}
	e.Logger.Info("deleted", "function", name)
	e.unshadow(ctx, name)
	return nil
}

// removeImages removes every image of function name: those of its
// recorded versions and those labelled with it on this server, leftovers
// of interrupted deploys included. Images are removed by ID with their
// tags: a func-NAME:vN tag may have moved to another server's image since.
// An image already gone is not an error.
func (e *Engine) removeImages(ctx context.Context, name string, versions []*lambda.Version) error {
	if e.Images == nil {
		for _, v := range versions {
			if err := e.ImageBuilder.RemoveImage(ctx, v.Image); err != nil {
				return fmt.Errorf("remove image %s: %w", v.Image, err)
			}
		}
		return nil
	}
	var ids []string
	for _, v := range versions {
		ids = append(ids, cmp.Or(v.ImageID, v.Image))
	}
	labelled, err := e.Images.ListImagesByLabel(ctx, map[string]string{lambda.LabelManaged: "true", lambda.LabelFunction: name})
	if err != nil {
		return err
	}
	for _, img := range labelled {
		ids = append(ids, img.ID)
	}
	for _, id := range ids {
		if id == "" {
			continue
		}
		img, err := e.Images.InspectImage(ctx, id)
		if lambda.ErrorCode(err) == lambda.ENOTFOUND {
			continue
		} else if err != nil {
			return err
		}
		// Tags first: removing an ID that has several is a conflict.
		for _, ref := range append(img.Tags, img.ID) {
			if err := e.ImageBuilder.RemoveImage(ctx, ref); err != nil {
				return fmt.Errorf("remove image %s: %w", ref, err)
			}
		}
	}
	return nil
}

// drain takes name out of routing and waits for its requests in flight,
// at most the longest timeout of its versions (plus a little for the
// gateway to answer a request that timed out): no request outlives it.
func (e *Engine) drain(ctx context.Context, name string, versions []*lambda.Version) error {
	st := e.forget(name)
	if st == nil {
		return nil
	}
	var bound time.Duration
	for _, v := range versions {
		bound = max(bound, time.Duration(v.Config.Timeout))
	}
	select {
	case <-st.drained():
	case <-e.Clock.After(bound + drainSlack):
		e.Logger.Warn("requests still in flight after the function's timeout; deleting anyway", "function", name, "inflight", st.inflight.Load())
	case <-ctx.Done():
		return ctx.Err()
	}
	return waitSpares(ctx, st)
}

// waitSpares returns once no pool of st creates a spare: a create in
// flight (a cold start asked for the next spare) makes its container after
// removeContainers lists, and Delete would return with it still there.
// The pools are draining, so no create begins after; each is bounded as
// a start is.
func waitSpares(ctx context.Context, st *fnState) error {
	creating := func() bool {
		for _, p := range st.pools() {
			p.mu.Lock()
			c := p.spareCreating
			p.mu.Unlock()
			if c {
				return true
			}
		}
		return false
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	bound := time.After(containerStartTimeout)
	for creating() {
		select {
		case <-tick.C:
		case <-bound:
			return nil // removeContainers and reconcile see to what is left
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// drainSlack is how long past its timeout a request may take to end: the
// gateway answers 504 and releases its instance.
const drainSlack = 2 * time.Second

// removeContainers stops every container of function now: the function is
// going away and its requests are drained. It returns once none is
// left, since a removal still in progress (a drain finishing at the same
// time) would keep the function's images in use.
func (e *Engine) removeContainers(ctx context.Context, function string) error {
	for attempt := 0; ; attempt++ {
		all, err := e.Driver.ListInstances(ctx)
		if err != nil {
			return err
		}
		// Every container of it, pre-created ones included (Instances
		// leaves those out).
		left := slices.DeleteFunc(all, func(c *lambda.Instance) bool { return c.Function != function })
		if len(left) == 0 {
			return nil
		}
		if attempt == 50 {
			return fmt.Errorf("containers of %q are still being removed after %d attempts", function, attempt)
		}
		for _, in := range left {
			if err := e.Driver.StopInstance(ctx, in.ID, 0); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
		}
	}
}

// Instances implements lambda.FunctionService; name "" lists every
// function's instances. Containers come from the driver, their state and
// load from the pools.
func (e *Engine) Instances(ctx context.Context, name string) ([]*lambda.Instance, error) {
	all, err := e.Driver.ListInstances(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*lambda.Instance, 0, len(all))
	for _, c := range all {
		e.ownerOf(c)
		if name != "" && c.Function != name {
			continue
		}
		if !c.Running && e.isSpare(c.ID) {
			continue // created ahead of a cold start: no instance (precreate.go)
		}
		c.State = lambda.InstanceStopped
		if c.Running {
			// A running container the pools no longer hold is on its way out.
			c.State = lambda.InstanceDraining
			if v, ok := e.live.Load(c.ID); ok {
				in := v.(*instance)
				// The listing says when the container was created: a
				// spare's create or a generic instance's start may be long
				// before it became this function's instance.
				if !in.CreatedAt.IsZero() {
					c.CreatedAt = in.CreatedAt
				}
				e.describe(in, c)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// describe copies in's pool state into c.
func (e *Engine) describe(in *instance, c *lambda.Instance) {
	p := in.owner.Load()
	if p == nil {
		c.State = lambda.InstanceStarting // not ready yet
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c.Inflight, c.Requests = in.inflight, in.requests
	switch {
	case in.gone:
		c.State = lambda.InstanceDraining
	case in.paused:
		c.State = lambda.InstancePaused
	case in.inflight > 0:
		c.State = lambda.InstanceBusy
	default:
		c.State = lambda.InstanceIdle
	}
}
