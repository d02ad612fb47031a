package http

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/lambdahq/lambda"
)

// handleDeployProject reads a multipart upload (config, then code) and
// deploys the project its lambda.yaml declares, all functions or none,
// streaming the progress as NDJSON like a function deploy; the done event
// carries the project's result.
func (s *Server) handleDeployProject(w http.ResponseWriter, r *http.Request) {
	project := r.PathValue("project")
	if err := lambda.ValidateName(project); err != nil {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.EINVALID, "project name %q is invalid: use 1-63 lowercase letters, digits or dashes, not starting or ending with a dash", project))
		return
	}
	ps := s.Projects
	if ps == nil {
		ps, _ = s.Functions.(lambda.ProjectService)
	}
	if ps == nil {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server does not deploy projects"))
		return
	}
	// The functions a project deploys are known once its manifest is
	// read: a key limited to some functions cannot be checked against them
	// before, so it cannot deploy projects.
	if k := keyFrom(r.Context()); k != nil && len(k.Functions) > 0 {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.EFORBIDDEN, "key %s is limited to functions %v, and a project deploy may change any function its lambda.yaml names: use a deploy key not limited to functions", k.ID, k.Functions))
		return
	}
	req, err := readProjectUpload(r)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	stream := &eventStream{w: w}
	if l, ok := req.Code.(*limitedReader); ok {
		l.done = stream.uploaded
	}
	req.Project, req.Progress = project, stream
	d, err := ps.DeployProject(r.Context(), req)
	if stream.pending() && err == nil {
		stream.release()
	}
	if err != nil {
		if r.Context().Err() != nil {
			s.Logger.Info("project deploy abandoned: client went away", "project", project, "err", err)
			return
		}
		if !stream.started() {
			writeError(w, r, s.Logger, err)
			return
		}
		if lambda.ErrorCode(err) == lambda.EINTERNAL {
			s.Logger.Error("project deploy failed", "project", project, requestIDAttr(r.Context()), "err", err)
		}
		stream.send(DeployEvent{Type: EventError, Error: &ErrorBody{Code: lambda.ErrorCode(err), Message: lambda.ErrorMessage(err)}})
		return
	}
	out := &ProjectDeployResult{Project: d.Project, Functions: []DeployResult{}, Pruned: d.Pruned}
	changedSchedules := false
	for _, f := range d.Functions {
		out.Functions = append(out.Functions, DeployResult{FunctionDetail: *s.detail(r.Context(), f.Function), Changed: f.Changed, Schedules: f.Schedules})
		for _, a := range f.Schedules {
			changedSchedules = changedSchedules || !a.Existed
		}
	}
	if changedSchedules || len(d.Pruned) > 0 {
		s.SchedulesChanged()
	}
	stream.send(DeployEvent{Type: EventDone, Project: out})
}

// readProjectUpload reads the config part and returns a request whose
// code is the size-limited part that follows it.
func readProjectUpload(r *http.Request) (lambda.ProjectDeployRequest, error) {
	var out lambda.ProjectDeployRequest
	mr, err := r.MultipartReader()
	if err != nil {
		return out, lambda.Errorf(lambda.EINVALID, "a project deploy expects multipart/form-data with a %q part and then a %q part: %v", PartConfig, PartCode, err)
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != PartConfig {
		return out, lambda.Errorf(lambda.EINVALID, "a project deploy upload must start with a %q part", PartConfig)
	}
	config, err := io.ReadAll(io.LimitReader(part, maxJSONBody+1))
	if err != nil {
		return out, lambda.Errorf(lambda.EINVALID, "deploy upload is not valid multipart data: %v", err)
	}
	if len(config) > maxJSONBody {
		return out, lambda.Errorf(lambda.ETOOLARGE, "deploy config is over the %d MB limit", maxJSONBody>>20)
	}
	if c := bytes.TrimSpace(config); len(c) == 0 || c[0] != '{' {
		return out, lambda.Errorf(lambda.EINVALID, "deploy config must be a JSON object, got %.20q", c)
	}
	var req ProjectDeployRequest
	if err := decodeConfig(config, &req, "deploy config"); err != nil {
		return out, err
	}
	for _, n := range req.Only {
		if err := lambda.ValidateName(n); err != nil {
			return out, lambda.Errorf(lambda.EINVALID, "only: %s", lambda.ErrorMessage(err))
		}
	}
	out.Only, out.Prune, out.Prefix, out.Force = req.Only, req.Prune, req.Prefix, req.Force
	part, err = mr.NextPart()
	switch {
	case errors.Is(err, io.EOF):
		return out, lambda.Errorf(lambda.EINVALID, "a project deploy upload has nothing to deploy: send a %q part after %q", PartCode, PartConfig)
	case err != nil:
		return out, lambda.Errorf(lambda.EINVALID, "deploy upload is not valid multipart data: %v", err)
	case part.FormName() != PartCode:
		return out, lambda.Errorf(lambda.EINVALID, "a project deploy upload has an unknown part %q after %q: send %q", part.FormName(), PartConfig, PartCode)
	}
	out.Code = &limitedReader{r: part, left: lambda.DefaultMaxCodeSize,
		err: lambda.Errorf(lambda.ETOOLARGE, "code upload is over the %d MB limit; exclude files with .lambdaignore", lambda.DefaultMaxCodeSize>>20)}
	return out, nil
}
