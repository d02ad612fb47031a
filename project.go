package lambda

import (
	"context"
	"io"
	"slices"
	"strings"
)

// ProjectManifest is what a project manifest (a lambda.yaml with project:
// and functions:) declares: several functions built from one tree.
type ProjectManifest struct {
	Project string
	// Functions in the file's order, each with the project's shared
	// settings merged under its own.
	Functions []ProjectFunction
}

// ProjectFunction is one function of a project manifest. Name is as the
// file has it; with a prefixed deploy the platform's function is
// PROJECT-NAME (ProjectFunctionName).
type ProjectFunction struct {
	Name string
	DeployManifest
}

// ProjectManifestReader reads the project manifest of a tree.
type ProjectManifestReader interface {
	// ReadProject reads dir's manifest: nil, nil when there is none or it
	// declares no project; an EINVALID naming the file, line and key for a
	// bad one.
	ReadProject(dir string) (*ProjectManifest, error)
}

// ProjectDeployRequest deploys the functions of a project manifest from
// one tree: all of them switch, or none.
type ProjectDeployRequest struct {
	// Project is the project the tree must declare ("" takes the tree's).
	Project string
	// Code is a tar.gz of the project's tree (untrusted).
	Code io.Reader
	// Git, instead of Code, names a repository tree the server clones;
	// the versions record its Provenance.
	Git *GitSource
	// Only deploys these functions of the project (names as in the
	// manifest); none: all.
	Only []string
	// Prune deletes the functions of the project the manifest no longer
	// lists, once the deploy has switched.
	Prune bool
	// Prefix names each function PROJECT-NAME rather than NAME.
	Prefix bool
	// Force publishes new versions even of unchanged functions.
	Force bool
	// Progress receives the stages and build logs; it may be nil.
	Progress Progress
}

// ProjectDeployment is the outcome of a project deploy.
type ProjectDeployment struct {
	Project string
	// Functions are the deploys of the project's functions, in the
	// manifest's order.
	Functions []*Deployment
	// Pruned names the functions --prune deleted.
	Pruned []string
}

// ProjectService deploys projects.
type ProjectService interface {
	// DeployProject deploys every function of the project req's tree
	// declares (req.Only: some of them), building each distinct image
	// once. All or nothing: when any function fails to build or to
	// start, no function switches and the previous versions keep serving.
	// Schedules are then applied, all or none.
	DeployProject(ctx context.Context, req ProjectDeployRequest) (*ProjectDeployment, error)
}

// Publication is one function's new version and the scaling it takes
// with it, published with others at once.
type Publication struct {
	Function string
	// Version becomes the function's active version (nil: the active
	// version stays, e.g. of a function whose code did not change).
	Version *Version
	// Scaling replaces the function's scaling settings (nil: unchanged).
	Scaling *Scaling
	// Project the function now belongs to ("" leaves it as it was).
	Project string
}

// ProjectStore publishes the versions of several functions in one
// transaction, so that a project deploy is recorded whole or not at all.
type ProjectStore interface {
	// PublishVersions records and activates every publication, creating
	// functions as needed, all or none. ECONFLICT if a version exists.
	PublishVersions(ctx context.Context, ps []Publication) error
}

// ProjectFunctionName is the platform name of a project's function name:
// PROJECT-NAME with prefix, else NAME.
func ProjectFunctionName(project, name string, prefix bool) string {
	if prefix {
		return project + "-" + name
	}
	return name
}

// ParseOnly splits a comma-separated list of function names (--only),
// dropping blanks and repeats.
func ParseOnly(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
