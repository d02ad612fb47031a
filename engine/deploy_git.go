package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/lambdahq/lambda"
)

// cloneTree clones src and extracts its tree into dir, the directory an
// upload is extracted into, with the same extraction (and its rules and
// limits): the cloner hands the tree over as a tar.gz. It returns the
// tree's digest (the same commit and subdir give the same digest, so an
// unchanged deploy publishes nothing) and the provenance the version
// records.
//
// The clone is step 1 of a function's deploy (numbered); a project's deploy
// numbers its own steps once the tree is read, so there it is a log line.
func (e *Engine) cloneTree(ctx context.Context, src lambda.GitSource, dir string, p lambda.Progress, numbered bool) (string, *lambda.Provenance, error) {
	if e.Cloner == nil {
		return "", nil, lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server does not deploy from git: upload the code with lambda deploy DIR")
	}
	if numbered {
		p.Step(1, 3, "Cloning "+src.String())
	} else {
		p.Log("Cloning " + src.String() + "\n")
	}
	pr, pw := io.Pipe()
	type result struct {
		prov *lambda.Provenance
		err  error
	}
	cloned := make(chan result, 1)
	go func() {
		prov, err := e.Cloner.Clone(ctx, src, pw)
		pw.CloseWithError(err) // nil: the extraction sees the end of the tree
		cloned <- result{prov, err}
	}()
	sum, xerr := e.Extract(pr, dir)
	pr.CloseWithError(errExtractDone) // stops the clone if the extraction stopped early
	res := <-cloned
	switch {
	case res.err != nil && !errors.Is(res.err, errExtractDone):
		return "", nil, res.err
	case xerr != nil:
		return "", nil, fmt.Errorf("the tree of %s: %w", src.String(), xerr)
	}
	// The tree's content, not the clone's bytes (which carry the commit's
	// time, and what the ignore files removed): a push that leaves the
	// deployed files as they were publishes nothing, as a redeploy of an
	// unchanged directory does not.
	sum, err := treeSum(dir, "")
	if err != nil {
		return "", nil, err
	}
	p.Log(fmt.Sprintf("Cloned %s at %s\n", lambda.RedactURL(src.URL), res.prov.Commit))
	return sum, res.prov, nil
}

// errExtractDone tells the cloner that nobody reads its tree any more.
var errExtractDone = errors.New("the extraction of the tree ended")

var _ lambda.GitDeployer = (*Engine)(nil)

// DeployGit implements lambda.GitDeployer: the tree is cloned once, then
// deployed as the project its lambda.yaml declares or as the function
// req.Name, exactly as an upload of it would be.
func (e *Engine) DeployGit(ctx context.Context, req lambda.DeployRequest, project string) (*lambda.ProjectDeployment, error) {
	if req.Git == nil {
		return nil, lambda.Errorf(lambda.EINVALID, "the deploy names no git repository")
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
	if t.sum, t.git, err = e.cloneTree(ctx, *req.Git, dir, req.Progress, false); err != nil {
		return nil, err
	}
	pm, _, err := e.readTreeManifest(dir)
	if err != nil {
		return nil, err
	}
	if pm != nil {
		preq := lambda.ProjectDeployRequest{Project: project, Git: req.Git, Force: req.Force, Progress: req.Progress}
		return e.deployTree(ctx, t, treeRequest{Project: &preq})
	}
	if _, err := e.checkRequest(ctx, req); err != nil {
		// Counted as Deploy counts a refused deploy of a valid name.
		if e.DeployObserver != nil && lambda.ValidateName(req.Name) == nil {
			e.DeployObserver.ObserveDeploy(req.Name, lambda.DeployFailed)
		}
		return nil, err
	}
	// A function's deploy numbers the clone as its first step, as Deploy
	// does; it is known to be one only now.
	req.Progress.Step(1, 3, "Cloned "+req.Git.String()+" at "+lambda.ShortCommit(t.git.Commit))
	out, err := e.deployTree(ctx, t, treeRequest{Function: &req})
	if e.DeployObserver != nil {
		var d *lambda.Deployment
		if out != nil && len(out.Functions) == 1 {
			d = out.Functions[0]
		}
		e.DeployObserver.ObserveDeploy(req.Name, deployResult(d, err))
	}
	return out, err
}
