package engine

import (
	"context"
	"fmt"

	"github.com/lambdahq/lambda"
)

var _ lambda.AliasService = (*Engine)(nil)

// warmVersion is a version about to serve and its instances, started
// before traffic moves to it.
type warmVersion struct {
	v    *lambda.Version
	warm []*instance
}

func (e *Engine) aliasesOrRefuse() (lambda.AliasStore, error) {
	s := e.aliasStore()
	if s == nil {
		return nil, lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server's store keeps no aliases")
	}
	return s, nil
}

// SetAlias implements lambda.AliasService: the versions a routes to that
// serve no traffic yet are warmed first (as a deploy's), then a is
// recorded and routing changes at once.
func (e *Engine) SetAlias(ctx context.Context, a *lambda.Alias) (*lambda.Alias, error) {
	store, err := e.aliasesOrRefuse()
	if err != nil {
		return nil, err
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	ctx, unlock := e.lockCancelable(ctx, a.Function)
	defer unlock()
	if err := e.setAlias(ctx, store, a); err != nil {
		return nil, canceled(ctx, err)
	}
	return store.FindAlias(ctx, a.Function, a.Name)
}

func (e *Engine) setAlias(ctx context.Context, store lambda.AliasStore, a *lambda.Alias) error {
	fn, err := e.Store.FindFunction(ctx, a.Function)
	if err != nil {
		return err
	}
	if fn.Active == nil {
		return lambda.NotDeployed(a.Function)
	}
	st, err := e.state(ctx, a.Function)
	if err != nil {
		return err
	}
	warm, err := e.warmVersions(ctx, st, fn, a.Versions())
	if err != nil {
		return err
	}
	if err := store.SetAlias(ctx, a); err != nil {
		stopWarm(e, warm)
		return err
	}
	e.installAlias(st, fn, a, warm)
	e.Logger.Info("alias set", "function", a.Function, "alias", a.Name, "version", a.Version, "additional_version", a.AdditionalVersion, "weight", a.Weight)
	return nil
}

// warmVersions starts instances of those of versions no pool of st serves
// yet: all of them, or none on failure.
func (e *Engine) warmVersions(ctx context.Context, st *fnState, fn *lambda.Function, versions []int) ([]warmVersion, error) {
	var out []warmVersion
	for _, n := range versions {
		st.mu.Lock()
		served := st.poolLocked(n) != nil
		st.mu.Unlock()
		if served {
			continue
		}
		v, err := e.Store.FindVersion(ctx, fn.Name, n)
		if lambda.ErrorCode(err) == lambda.ENOTFOUND {
			err = lambda.Errorf(lambda.ENOTFOUND, "function %q has no version %d: see \"lambda versions %s\"", fn.Name, n, fn.Name)
		}
		if err == nil {
			err = checkNotPruned(v)
		}
		var warm []*instance
		if err == nil {
			warm, err = e.warmUp(ctx, v, fn.Scaling.Effective(v.Config.Protocol))
			if err != nil {
				err = fmt.Errorf("version %d did not start, traffic stays where it was: %w", n, err)
			}
		}
		if err != nil {
			stopWarm(e, out)
			return nil, err
		}
		out = append(out, warmVersion{v: v, warm: warm})
	}
	return out, nil
}

func stopWarm(e *Engine, ws []warmVersion) {
	for _, w := range ws {
		for _, in := range w.warm {
			e.stopInstance(in)
		}
	}
}

// installAlias routes a over st's pools, warm ones added: live with
// another version switches the active version as a rollback does.
func (e *Engine) installAlias(st *fnState, fn *lambda.Function, a *lambda.Alias, warm []warmVersion) {
	st.mu.Lock()
	active := st.active
	st.mu.Unlock()
	if a.Name == lambda.AliasLive && active.version.Number != a.Version {
		var v *lambda.Version
		var ins []*instance
		others := warm[:0:0]
		for _, w := range warm {
			if w.v.Number == a.Version {
				v, ins = w.v, w.warm
			} else {
				others = append(others, w)
			}
		}
		if v == nil {
			st.mu.Lock()
			v = st.poolLocked(a.Version).version
			st.mu.Unlock()
		}
		e.switchRouting(st.name, v, fn.Scaling, ins, a, others)
		return
	}
	st.mu.Lock()
	for _, w := range warm {
		st.addPoolLocked(e, w.v, w.warm)
	}
	st.setAliasLocked(a)
	retired := st.rebuildLocked()
	next := st.active
	st.mu.Unlock()
	retire(retired, next)
}

// GetAlias implements lambda.AliasService.
func (e *Engine) GetAlias(ctx context.Context, function, name string) (*lambda.Alias, error) {
	store, err := e.aliasesOrRefuse()
	if err != nil {
		return nil, err
	}
	a, err := store.FindAlias(ctx, function, name)
	if lambda.ErrorCode(err) == lambda.ENOTFOUND {
		if as, lerr := store.ListAliases(ctx, function); lerr == nil {
			names := make([]string, len(as))
			for i, x := range as {
				names[i] = x.Name
			}
			return nil, unknownAlias(function, name, names)
		}
	}
	return a, err
}

// ListAliases implements lambda.AliasService.
func (e *Engine) ListAliases(ctx context.Context, function string) ([]*lambda.Alias, error) {
	store, err := e.aliasesOrRefuse()
	if err != nil {
		return nil, err
	}
	return store.ListAliases(ctx, function)
}

// DeleteAlias implements lambda.AliasService: the versions only it routed
// to drain.
func (e *Engine) DeleteAlias(ctx context.Context, function, name string) error {
	store, err := e.aliasesOrRefuse()
	if err != nil {
		return err
	}
	unlock := e.lockDeploys(function)
	defer unlock()
	if _, err := e.GetAlias(ctx, function, name); err != nil {
		return err
	}
	if err := store.DeleteAlias(ctx, function, name); err != nil {
		return err
	}
	e.mu.Lock()
	st, ok := e.functions[function]
	e.mu.Unlock()
	if ok {
		st.mu.Lock()
		delete(st.aliases, name)
		retired := st.rebuildLocked()
		next := st.active
		st.mu.Unlock()
		retire(retired, next)
	}
	e.Logger.Info("alias deleted", "function", function, "alias", name)
	return nil
}

// Promote implements lambda.AliasService.
func (e *Engine) Promote(ctx context.Context, function string) (*lambda.Function, error) {
	store, err := e.aliasesOrRefuse()
	if err != nil {
		return nil, err
	}
	ctx, unlock := e.lockCancelable(ctx, function)
	defer unlock()
	live, err := store.FindAlias(ctx, function, lambda.AliasLive)
	if err != nil {
		return nil, err
	}
	if live.AdditionalVersion == 0 {
		return nil, lambda.Errorf(lambda.ECONFLICT, "function %q has no canary to promote: live sends all its traffic to version %d (deploy one with \"lambda deploy --canary 10%%\")", function, live.Version)
	}
	to := &lambda.Alias{Function: function, Name: lambda.AliasLive, Version: live.AdditionalVersion, Description: live.Description}
	if err := e.setAlias(ctx, store, to); err != nil {
		return nil, canceled(ctx, err)
	}
	e.Logger.Info("promoted", "function", function, "from", live.Version, "to", to.Version)
	return e.Store.FindFunction(ctx, function)
}

// clearSplit ends live's split, if it has one, keeping its version: what
// a rollback does to a canary. ok reports that there was one.
func (e *Engine) clearSplit(ctx context.Context, function string) (ok bool, err error) {
	store := e.aliasStore()
	if store == nil {
		return false, nil
	}
	live, err := store.FindAlias(ctx, function, lambda.AliasLive)
	if err != nil || live.AdditionalVersion == 0 {
		return false, err
	}
	to := &lambda.Alias{Function: function, Name: lambda.AliasLive, Version: live.Version, Description: live.Description}
	if err := e.setAlias(ctx, store, to); err != nil {
		return false, err
	}
	e.Logger.Info("canary rolled back", "function", function, "version", live.Version, "canary", live.AdditionalVersion)
	return true, nil
}

// activateCanary records the freshly built and warmed-up v without making
// it active, and sends weight of live's traffic to it: live keeps its
// version. On failure v's instances stop and its image is removed.
func (e *Engine) activateCanary(ctx context.Context, v *lambda.Version, weight float64, warm []*instance) (*lambda.Function, error) {
	fail := func(err error) (*lambda.Function, error) {
		for _, in := range warm {
			e.stopInstance(in)
		}
		e.removeImage(v)
		return nil, err
	}
	store, err := e.aliasesOrRefuse()
	if err != nil {
		return fail(err)
	}
	fn, err := e.Store.FindFunction(ctx, v.Function)
	if err != nil {
		return fail(err)
	}
	live := &lambda.Alias{Function: v.Function, Name: lambda.AliasLive, Version: fn.ActiveVersion, AdditionalVersion: v.Number, Weight: weight}
	if old, err := store.FindAlias(ctx, v.Function, lambda.AliasLive); err == nil {
		live.Description = old.Description
	}
	if err := live.Validate(); err != nil {
		return fail(err)
	}
	st, err := e.state(ctx, v.Function)
	if err != nil {
		return fail(err)
	}
	if err := store.AddVersion(ctx, v); err != nil {
		return fail(err)
	}
	if err := store.SetAlias(ctx, live); err != nil {
		// The version stays recorded (as an older one would), serving
		// nothing.
		for _, in := range warm {
			e.stopInstance(in)
		}
		return nil, err
	}
	e.installAlias(st, fn, live, []warmVersion{{v: v, warm: warm}})
	e.Logger.Info("canary deployed", "function", v.Function, "version", fn.ActiveVersion, "canary", v.Number, "weight", weight)
	return e.Store.FindFunction(ctx, v.Function)
}

// activateFor activates the freshly built v as req asks: in place of the
// active version, or beside it as a canary.
func (e *Engine) activateFor(ctx context.Context, v *lambda.Version, req lambda.DeployRequest) (*lambda.Function, error) {
	if req.Canary <= 0 {
		return e.activate(ctx, v, req.Scaling)
	}
	fn, err := e.startCanary(ctx, v, req)
	return fn, canceled(ctx, err)
}

// startCanary warms v with the function's scaling (req's changes applied
// first), then publishes it as live's canary.
func (e *Engine) startCanary(ctx context.Context, v *lambda.Version, req lambda.DeployRequest) (*lambda.Function, error) {
	fn, err := e.Store.FindFunction(ctx, v.Function)
	switch {
	case lambda.ErrorCode(err) == lambda.ENOTFOUND || err == nil && fn.Active == nil:
		err = lambda.Errorf(lambda.ECONFLICT, "function %q has no live version for a canary to share traffic with: deploy it without --canary first", v.Function)
	case err == nil && req.Canary > 1:
		err = lambda.Errorf(lambda.EINVALID, "canary weight %v is over 1", req.Canary)
	}
	if err != nil {
		e.removeImage(v)
		return nil, err
	}
	sc := req.Scaling.Apply(fn.Scaling)
	if err := sc.Validate(); err != nil {
		e.removeImage(v)
		return nil, err
	}
	warm, err := e.warmUp(ctx, v, sc.Effective(v.Config.Protocol))
	if err != nil {
		e.removeImage(v)
		return nil, fmt.Errorf("version %d did not start, the previous version keeps serving: %w", v.Number, err)
	}
	if !req.Scaling.IsZero() {
		if err := e.Store.SetScaling(ctx, v.Function, sc); err != nil {
			for _, in := range warm {
				e.stopInstance(in)
			}
			e.removeImage(v)
			return nil, err
		}
		e.setScaling(v.Function, sc)
	}
	return e.activateCanary(ctx, v, req.Canary, warm)
}

// aliasedVersions lists the versions that serve: the active one and
// those an alias routes to. Pruning keeps their images.
func (e *Engine) aliasedVersions(ctx context.Context, fn *lambda.Function) ([]int, error) {
	out := []int{fn.ActiveVersion}
	store := e.aliasStore()
	if store == nil {
		return out, nil
	}
	as, err := store.ListAliases(ctx, fn.Name)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		out = append(out, a.Versions()...)
	}
	return out, nil
}
