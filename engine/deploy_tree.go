package engine

import (
	"context"

	"github.com/lambdahq/lambda"
)

// tree is a source tree on disk, extracted from an upload (or, later,
// cloned): dir holds it, sum is its content's hash (what tells an
// unchanged deploy).
type tree struct {
	dir string
	sum string
	// git is where a cloned tree came from (nil: an upload): every version
	// built from the tree records it.
	git *lambda.Provenance
}

// treeRequest says what to deploy from a tree: exactly one of Function
// (the tree is one function, deployed under that request's name) or
// Project (the tree's lambda.yaml declares a project).
type treeRequest struct {
	Function *lambda.DeployRequest
	Project  *lambda.ProjectDeployRequest
}

// deployTree deploys the tree in t, whatever brought it to disk: the
// upload paths (Deploy, DeployProject) call it once the code is
// extracted, and so does any other source of trees. Its lambda.yaml
// decides: a project manifest deploys the project's functions, all or
// none (only with r.Project); otherwise the tree is the one function
// r.Function names. A single function's result is Functions[0]. Progress
// goes to the request's Progress (never nil here).
func (e *Engine) deployTree(ctx context.Context, t tree, r treeRequest) (*lambda.ProjectDeployment, error) {
	pm, m, err := e.readTreeManifest(t.dir)
	if err != nil {
		return nil, err
	}
	switch {
	case pm != nil && r.Project == nil:
		return nil, lambda.Errorf(lambda.EINVALID, "lambda.yaml declares project %q with %d functions: deploy the project (lambda deploy DIR, or POST /v1/projects/%s/deploy), not one function", pm.Project, len(pm.Functions), pm.Project)
	case pm != nil:
		return e.deployProjectTree(ctx, t, *r.Project, pm)
	case r.Project != nil:
		return nil, lambda.Errorf(lambda.EINVALID, "the tree has no project manifest: a project's lambda.yaml declares project: NAME and its functions: (see \"lambda deploy --help\"); deploy a single function with lambda deploy DIR --name NAME")
	}
	if err := e.checkDockerfileImages(ctx, t.dir, r.Function.OnlyFunctions); err != nil {
		return nil, err
	}
	d, err := e.deployFunctionTree(ctx, t, *r.Function, m)
	if err != nil {
		return nil, err
	}
	return &lambda.ProjectDeployment{Functions: []*lambda.Deployment{d}}, nil
}

// readTreeManifest reads the lambda.yaml of the tree in dir: a project's
// (pm) or a single function's (m); both nil when there is none or no
// reader is configured.
func (e *Engine) readTreeManifest(dir string) (pm *lambda.ProjectManifest, m *lambda.DeployManifest, err error) {
	if e.Manifests == nil {
		return nil, nil, nil
	}
	if pr, ok := e.Manifests.(lambda.ProjectManifestReader); ok {
		if pm, err = pr.ReadProject(dir); err != nil || pm != nil {
			return pm, nil, err
		}
	}
	m, err = e.Manifests.ReadManifest(dir)
	return nil, m, err
}
