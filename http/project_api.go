package http

// ProjectDeployRequest is the "config" part of a project deploy upload
// (POST /v1/projects/{project}/deploy); the "code" part, a tar.gz of the
// project's tree, follows it.
type ProjectDeployRequest struct {
	// Only deploys these functions of the project (names as in its
	// lambda.yaml); none: all of them.
	Only []string `json:"only,omitempty"`
	// Prune deletes the project's functions the manifest no longer lists.
	Prune bool `json:"prune,omitempty"`
	// Prefix names the functions PROJECT-NAME instead of NAME.
	Prefix bool `json:"prefix,omitempty"`
	// Force publishes new versions of unchanged functions too.
	Force bool `json:"force,omitempty"`
}

// ProjectDeployResult is the outcome of a project deploy: each function
// deployed, in the manifest's order, and those --prune deleted. The done
// event of a project deploy carries it in Project.
type ProjectDeployResult struct {
	Project   string         `json:"project"`
	Functions []DeployResult `json:"functions"`
	Pruned    []string       `json:"pruned,omitempty"`
}
