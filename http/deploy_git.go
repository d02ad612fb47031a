package http

import (
	"context"

	"github.com/lambdahq/lambda"
)

// GitRequest, in a deploy's config, names the repository tree to deploy
// instead of an uploaded part: the server clones it.
type GitRequest struct {
	URL    string `json:"url"`
	Ref    string `json:"ref,omitempty"`
	Subdir string `json:"subdir,omitempty"`
	// Token authenticates the https clone of a private repository for
	// this deploy only: the server neither stores nor logs it.
	Token string `json:"token,omitempty"`
}

// gitSource checks a deploy config's git source; nil when there is none.
func gitSource(req DeployRequest) (*lambda.GitSource, error) {
	if req.Git == nil {
		return nil, nil
	}
	if req.Image != "" {
		return nil, lambda.Errorf(lambda.EINVALID, "deploy config names image %q and a git repository: send exactly one source", req.Image)
	}
	src := &lambda.GitSource{URL: req.Git.URL, Ref: req.Git.Ref, Subdir: req.Git.Subdir, Token: req.Git.Token}
	if err := src.Validate(); err != nil {
		return nil, err
	}
	return src, nil
}

// DeployGit asks the server to clone git (its token, if any, travels in
// the request only) and deploy the tree as a new version of name.
func (c *Client) DeployGit(ctx context.Context, name string, req DeployRequest, git GitRequest, onEvent func(DeployEvent)) (*DeployResult, error) {
	req.Image, req.Git = "", &git
	return c.deploy(ctx, name, req, "", nil, onEvent)
}
