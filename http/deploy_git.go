package http

import (
	"context"
	"fmt"
	"net/http"
	"strings"

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

// handleDeployGit runs a deploy whose source is a git repository: nothing
// is uploaded, so the event stream is open from the start. The tree
// decides what is deployed (lambda.GitDeployer): the project its
// lambda.yaml declares, or the function name.
func (s *Server) handleDeployGit(w http.ResponseWriter, r *http.Request, name string, req lambda.DeployRequest) {
	stream := &eventStream{w: w, open: true}
	req.Name, req.Progress = name, stream
	var (
		out *lambda.ProjectDeployment
		err error
	)
	// A key limited to some functions deploys the tree as the function it
	// names only: a project's manifest may name any function.
	k := keyFrom(r.Context())
	limited := k != nil && len(k.Functions) > 0
	g := s.GitDeploys
	if g == nil {
		g, _ = s.Functions.(lambda.GitDeployer)
	}
	if g != nil && !limited {
		out, err = g.DeployGit(r.Context(), req, "")
	} else {
		var d *lambda.Deployment
		if d, err = s.Functions.Deploy(r.Context(), req); err == nil {
			out = &lambda.ProjectDeployment{Functions: []*lambda.Deployment{d}}
		}
	}
	if err != nil {
		switch {
		case r.Context().Err() != nil:
			s.Logger.Info("deploy abandoned: client went away", "function", name, "err", err)
		case !stream.started():
			writeError(w, r, s.Logger, err)
		default:
			if lambda.ErrorCode(err) == lambda.EINTERNAL {
				s.Logger.Error("deploy failed", "function", name, "git", req.Git.String(), requestIDAttr(r.Context()), "err", err)
			}
			stream.send(DeployEvent{Type: EventError, Error: &ErrorBody{Code: lambda.ErrorCode(err), Message: lambda.ErrorMessage(err)}})
		}
		return
	}
	changed := false
	for _, d := range out.Functions {
		for _, a := range d.Schedules {
			changed = changed || !a.Existed
		}
	}
	if changed || len(out.Pruned) > 0 {
		s.SchedulesChanged()
	}
	if len(out.Functions) == 0 {
		stream.send(DeployEvent{Type: EventDone, Message: "project " + out.Project + ": no function deployed"})
		return
	}
	d := out.Functions[0]
	ev := DeployEvent{Type: EventDone, Function: s.detail(r.Context(), d.Function), Changed: &d.Changed, Schedules: d.Schedules}
	if out.Project != "" {
		names := make([]string, len(out.Functions))
		for i, f := range out.Functions {
			names[i] = f.Name
		}
		ev.Message = fmt.Sprintf("project %s deployed: %s", out.Project, strings.Join(names, ", "))
	}
	stream.send(ev)
}
