package engine

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/lambdahq/lambda"
)

var _ lambda.ProjectService = (*Engine)(nil)

// DeployProject implements lambda.ProjectService: the upload is extracted
// once and deployTree deploys the project it declares.
func (e *Engine) DeployProject(ctx context.Context, req lambda.ProjectDeployRequest) (*lambda.ProjectDeployment, error) {
	if req.Project != "" {
		if err := lambda.ValidateProjectName(req.Project); err != nil {
			return nil, lambda.Errorf(lambda.EINVALID, "project: %s", lambda.ErrorMessage(err))
		}
	}
	if req.Progress == nil {
		req.Progress = discardProgress{}
	}
	if err := e.Driver.Ping(ctx); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(e.TempDir, "lambda-deploy-")
	if err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	defer os.RemoveAll(dir)
	t := tree{dir: dir}
	if req.Git != nil {
		t.sum, t.git, err = e.cloneTree(ctx, *req.Git, dir, req.Progress, false)
	} else {
		t.sum, err = e.Extract(req.Code, dir)
	}
	if err != nil {
		return nil, err
	}
	return e.deployTree(ctx, t, treeRequest{Project: &req})
}

// projectFn is one function of a project deploy as it goes.
type projectFn struct {
	entry string // its name in the manifest
	req   lambda.DeployRequest
	cfg   lambda.Config
	fn    *lambda.Function // as it was; nil when new

	same *lambda.Deployment // the code and config are the active version's
	v    *lambda.Version    // the new version, once built
	sc   lambda.Scaling     // its scaling once published
	warm []*instance
}

// deployProjectTree deploys the functions of pm from the tree in t: every
// distinct image built once, every new version warmed, and only then all
// of them switched; a build or warm-up that fails switches none. The
// schedules follow, all or none, and with req.Prune the project's
// functions pm no longer lists are deleted.
func (e *Engine) deployProjectTree(ctx context.Context, t tree, req lambda.ProjectDeployRequest, pm *lambda.ProjectManifest) (*lambda.ProjectDeployment, error) {
	if req.Project != "" && req.Project != pm.Project {
		return nil, lambda.Errorf(lambda.EINVALID, "lambda.yaml declares project %q, not %q: deploy it as %q, or change project: in the file", pm.Project, req.Project, pm.Project)
	}
	fns, err := e.planProject(ctx, req, pm)
	if err != nil {
		e.observeProjectRefused(req, pm)
		return nil, err
	}
	// The tree without its manifest: a function is unchanged when the code
	// and its own settings are.
	if t.sum, err = projectTreeSum(t.dir); err != nil {
		e.observeProject(fns, nil, err)
		return nil, err
	}
	out, err := e.switchProject(ctx, t, req, pm.Project, fns)
	e.observeProject(fns, out, err)
	if err != nil || !req.Prune {
		return out, err
	}
	// After the locks are released: Delete takes each pruned function's.
	if out.Pruned, err = e.pruneProject(ctx, req, pm); err != nil {
		return out, err
	}
	return out, nil
}

// planProject checks every selected function of pm, as a deploy checks
// one, before anything is built.
func (e *Engine) planProject(ctx context.Context, req lambda.ProjectDeployRequest, pm *lambda.ProjectManifest) ([]*projectFn, error) {
	var names []string
	for _, f := range pm.Functions {
		names = append(names, f.Name)
	}
	for _, o := range req.Only {
		if !slices.Contains(names, o) {
			return nil, lambda.Errorf(lambda.EINVALID, "--only: project %q has no function %q: its functions are %s", pm.Project, o, strings.Join(names, ", "))
		}
	}
	var fns []*projectFn
	seen := map[string]string{}
	for _, f := range pm.Functions {
		if len(req.Only) > 0 && !slices.Contains(req.Only, f.Name) {
			continue
		}
		name := lambda.ProjectFunctionName(pm.Project, f.Name, req.Prefix)
		if err := lambda.ValidateName(name); err != nil {
			return nil, lambda.Errorf(lambda.EINVALID, "function %q of project %q: %s", f.Name, pm.Project, lambda.ErrorMessage(err))
		}
		if other, dup := seen[name]; dup {
			return nil, lambda.Errorf(lambda.EINVALID, "functions %q and %q of project %q are both named %q: rename one", other, f.Name, pm.Project, name)
		}
		seen[name] = f.Name
		dr := f.DeployManifest.Under(lambda.DeployRequest{Name: name, Force: req.Force, Progress: req.Progress})
		cfg, err := e.checkRequest(ctx, dr)
		if err != nil {
			return nil, lambda.Errorf(lambda.ErrorCode(err), "function %q: %s", f.Name, lambda.ErrorMessage(err))
		}
		pf := &projectFn{entry: f.Name, req: dr, cfg: cfg}
		if pf.fn, err = e.projectOwned(ctx, pf, pm.Project, req.Prefix); err != nil {
			return nil, err
		}
		fns = append(fns, pf)
	}
	return fns, nil
}

// projectOwned returns the function f deploys, nil when it does not exist
// yet, or the conflict when it exists outside project. It is checked when
// the deploy is planned, and again once f's lock is held: another deploy
// may have created the function in between.
func (e *Engine) projectOwned(ctx context.Context, f *projectFn, project string, prefix bool) (*lambda.Function, error) {
	name := f.req.Name
	fn, err := e.Store.FindFunction(ctx, name)
	switch {
	case lambda.ErrorCode(err) == lambda.ENOTFOUND:
		return nil, nil
	case err != nil:
		return nil, err
	case fn.Project == "" && prefix:
		return nil, lambda.Errorf(lambda.ECONFLICT, "function %q exists and was deployed on its own, not as part of project %q: delete it first (lambda delete %s), or rename %q in lambda.yaml", name, project, name, f.entry)
	case fn.Project == "":
		return nil, lambda.Errorf(lambda.ECONFLICT, "function %q exists and was deployed on its own, not as part of project %q: delete it first (lambda delete %s), or deploy the project with --prefix to name its functions %s-NAME", name, project, name, project)
	case fn.Project != project && prefix:
		return nil, lambda.Errorf(lambda.ECONFLICT, "function %q belongs to project %q, not %q: rename %q in lambda.yaml", name, fn.Project, project, f.entry)
	case fn.Project != project:
		return nil, lambda.Errorf(lambda.ECONFLICT, "function %q belongs to project %q, not %q: rename the function, or deploy with --prefix to name them %s-NAME", name, fn.Project, project, project)
	}
	return fn, nil
}

// switchProject holds the lock of every function of fns, in name order
// (two project deploys sharing functions cannot deadlock), while it
// builds, warms, records and switches them, then applies their schedules.
func (e *Engine) switchProject(ctx context.Context, t tree, req lambda.ProjectDeployRequest, project string, fns []*projectFn) (*lambda.ProjectDeployment, error) {
	p := req.Progress
	byName := slices.Clone(fns)
	slices.SortFunc(byName, func(a, b *projectFn) int { return strings.Compare(a.req.Name, b.req.Name) })
	for _, f := range byName {
		var unlock func()
		ctx, unlock = e.lockCancelable(ctx, f.req.Name)
		defer unlock()
	}
	// Another deploy may have created or taken a function since the plan.
	for _, f := range fns {
		var err error
		if f.fn, err = e.projectOwned(ctx, f, project, req.Prefix); err != nil {
			return nil, err
		}
	}

	var changed []*projectFn
	for _, f := range fns {
		// Unchanged: only the scaling patch would apply, at the switch.
		probe := f.req
		probe.Scaling = lambda.ScalingPatch{}
		d, err := e.unchangedCode(ctx, probe, t.dir, f.cfg, t.sum)
		if err != nil {
			return nil, err
		}
		if f.same = d; d == nil {
			changed = append(changed, f)
		}
	}
	total := 1 + 2*len(changed)
	if len(changed) > 0 {
		total++
	}
	p.Step(1, total, fmt.Sprintf("Unpacking project %q (%d functions, %d to publish)", project, len(fns), len(changed)))
	step := 1
	shared, err := newSharedBuilds(e.TempDir)
	if err != nil {
		return nil, err
	}
	defer shared.close()
	fail := func(err error) (*lambda.ProjectDeployment, error) {
		e.discardProject(changed)
		return nil, canceled(ctx, err)
	}
	for _, f := range changed {
		number, err := e.Store.NextVersion(ctx, f.req.Name)
		if err != nil {
			return fail(err)
		}
		step++
		p.Step(step, total, fmt.Sprintf("Building image %q (function %s)", ImageName(f.req.Name), f.entry))
		if f.v, err = e.buildShared(ctx, f.req.Name, t.dir, f.cfg, number, t.sum, shared, logWriter{p}); err != nil {
			return fail(lambda.Errorf(lambda.ErrorCode(canceled(ctx, err)), "function %q did not build: %s; nothing was deployed: the previous versions keep serving", f.entry, lambda.ErrorMessage(canceled(ctx, err))))
		}
		f.v.Git = t.git
	}
	for _, f := range changed {
		step++
		p.Step(step, total, fmt.Sprintf("Starting function %s", f.req.Name))
		var current lambda.Scaling
		if f.fn != nil {
			current = f.fn.Scaling
		}
		f.sc = f.req.Scaling.Apply(current)
		if err := f.sc.Validate(); err != nil {
			return fail(lambda.Errorf(lambda.ErrorCode(err), "function %q: %s", f.entry, lambda.ErrorMessage(err)))
		}
		warm, err := e.warmUp(ctx, f.v, f.sc.Effective(f.v.Config.Protocol))
		if err != nil {
			err = canceled(ctx, err)
			return fail(lambda.Errorf(lambda.ErrorCode(err), "function %q did not start: %s; nothing was deployed: the previous versions keep serving", f.entry, lambda.ErrorMessage(err)))
		}
		f.warm = warm
	}
	if len(changed) > 0 {
		step++
		what := fmt.Sprintf("%d functions to their new versions", len(changed))
		if len(changed) == 1 {
			what = "function " + changed[0].req.Name + " to its new version"
		}
		p.Step(step, total, "Switching "+what)
	}
	if err := e.publishProject(ctx, project, fns); err != nil {
		return fail(err)
	}
	out := &lambda.ProjectDeployment{Project: project}
	for _, f := range fns {
		if f.v != nil {
			e.switchTo(f.req.Name, f.v, f.sc, f.warm)
			e.queuePrune(f.req.Name)
			e.Logger.Info("deployed", "project", project, "function", f.req.Name, "version", f.v.Number, "runtime", f.v.Config.Runtime, "image", f.v.ImageID, "warm", len(f.warm))
		} else if !f.req.Scaling.IsZero() {
			e.setScaling(f.req.Name, f.sc)
		}
		fn, err := e.Store.FindFunction(ctx, f.req.Name)
		if err != nil {
			return nil, err
		}
		out.Functions = append(out.Functions, &lambda.Deployment{Function: fn, Changed: f.v != nil})
	}
	return e.applyProjectSchedules(ctx, out, fns)
}

// publishProject records every new version, and the scaling of unchanged
// functions whose patch changes it, in one transaction.
func (e *Engine) publishProject(ctx context.Context, project string, fns []*projectFn) error {
	ps, ok := e.Store.(lambda.ProjectStore)
	if !ok {
		return lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server's store cannot record projects")
	}
	var pubs []lambda.Publication
	for _, f := range fns {
		pub := lambda.Publication{Function: f.req.Name, Version: f.v, Project: project}
		switch {
		case f.v != nil && (f.fn == nil || !f.req.Scaling.IsZero()):
			pub.Scaling = &f.sc
		case f.v == nil && !f.req.Scaling.IsZero():
			f.sc = f.req.Scaling.Apply(f.same.Scaling)
			if err := f.sc.Validate(); err != nil {
				return lambda.Errorf(lambda.ErrorCode(err), "function %q: %s", f.entry, lambda.ErrorMessage(err))
			}
			pub.Scaling = &f.sc
		}
		if pub.Version == nil && pub.Scaling == nil {
			continue // unchanged, and already the project's
		}
		pubs = append(pubs, pub)
	}
	if len(pubs) == 0 {
		return nil
	}
	return ps.PublishVersions(ctx, pubs)
}

// discardProject stops the warmed instances and removes the images of a
// project deploy that will not switch.
func (e *Engine) discardProject(fns []*projectFn) {
	for _, f := range fns {
		for _, in := range f.warm {
			// Stopped here, not in the background: the image goes next,
			// and an image in use cannot be removed.
			in.stopOnce.Do(func() {
				e.live.Delete(in.ID)
				e.stopContainer(in.ID)
				e.releaseSlot()
			})
		}
		f.warm = nil
	}
	for _, f := range fns {
		if f.v != nil {
			e.removeImage(f.v)
			f.v = nil
		}
	}
}

// applyProjectSchedules applies the schedules of every function of the
// deploy once they serve, all or none, as one deploy's.
func (e *Engine) applyProjectSchedules(ctx context.Context, out *lambda.ProjectDeployment, fns []*projectFn) (*lambda.ProjectDeployment, error) {
	var sets []lambda.ScheduleSet
	for _, f := range fns {
		sets = append(sets, lambda.ScheduleSet{Function: f.req.Name, Specs: f.req.Schedules})
	}
	n := 0
	for _, s := range sets {
		n += len(s.Specs)
	}
	if n == 0 {
		return out, nil
	}
	applied, err := e.Schedules.ApplyAll(ctx, sets)
	if err != nil {
		e.Logger.Error("project deploy: schedules not applied", "project", out.Project, "err", err)
		code, why := lambda.ErrorCode(err), lambda.ErrorMessage(err)
		if code == lambda.EINTERNAL {
			code, why = lambda.EUNAVAILABLE, "the store failed"
		}
		return nil, &liveError{deployments: out.Functions, err: lambda.Errorf(code, "the functions of project %q are live, but none of their %d schedules was created: %s; deploy again to apply them", out.Project, n, why)}
	}
	for i, d := range out.Functions {
		d.Schedules = applied[i]
	}
	return out, nil
}

// pruneProject deletes the functions of the project that pm no longer
// lists (under the naming of this deploy, and the other).
func (e *Engine) pruneProject(ctx context.Context, req lambda.ProjectDeployRequest, pm *lambda.ProjectManifest) ([]string, error) {
	keep := map[string]bool{}
	for _, f := range pm.Functions {
		keep[lambda.ProjectFunctionName(pm.Project, f.Name, req.Prefix)] = true
	}
	list, err := e.Store.ListFunctions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the functions to prune: %w", err)
	}
	var pruned []string
	for _, fn := range list {
		if fn.Project != pm.Project || keep[fn.Name] {
			continue
		}
		if err := e.Delete(ctx, fn.Name); err != nil && lambda.ErrorCode(err) != lambda.ENOTFOUND {
			return pruned, lambda.Errorf(lambda.ErrorCode(err), "the project deployed, but pruning function %q failed: %s; delete it with lambda delete %s", fn.Name, lambda.ErrorMessage(err), fn.Name)
		}
		e.Logger.Info("pruned", "project", pm.Project, "function", fn.Name)
		pruned = append(pruned, fn.Name)
	}
	return pruned, nil
}
