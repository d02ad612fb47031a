package http

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/lambdahq/lambda"
)

// Function statuses shown by list and describe.
const (
	StatusReady   = "ready"   // an instance of the active version is running
	StatusIdle    = "idle"    // no instance; the next request cold-starts one
	StatusUnknown = "unknown" // the container engine cannot be asked
	// StatusStopped: every container that served an external function
	// stopped; its requests get 503 until one runs again.
	StatusStopped = "stopped"
)

func (s *Server) handleListFunctions(w http.ResponseWriter, r *http.Request) {
	fns, err := s.Store.ListFunctions(r.Context())
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	running := s.runningVersions(r.Context(), "")
	out := FunctionList{Functions: make([]FunctionSummary, 0, len(fns))}
	deployed := make(map[string]bool, len(fns))
	project := r.URL.Query().Get("project") // "": every function
	for _, fn := range fns {
		deployed[fn.Name] = true
		if !allowed(r.Context(), lambda.ScopeRead, fn.Name) {
			continue // a key limited to functions sees only those
		}
		if project != "" && fn.Project != project {
			continue
		}
		sum := FunctionSummary{Name: fn.Name, Project: fn.Project, Version: fn.ActiveVersion, URL: s.FunctionURL(fn.Name), UpdatedAt: fn.UpdatedAt}
		if fn.Active != nil {
			sum.Runtime = fn.Active.Config.Runtime
		}
		sum.Status = status(running, fn)
		out.Functions = append(out.Functions, sum)
	}
	if ext := s.externalSummaries(r.Context(), deployed); len(ext) > 0 && project == "" {
		out.Functions = append(out.Functions, ext...)
		slices.SortFunc(out.Functions, func(a, b FunctionSummary) int { return strings.Compare(a.Name, b.Name) })
	}
	respondJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetFunction(w http.ResponseWriter, r *http.Request) {
	fn, err := s.findFunction(r.Context(), r.PathValue("name"))
	if err != nil {
		s.writeFunctionError(w, r, err)
		return
	}
	respondJSON(w, http.StatusOK, s.detail(r.Context(), fn))
}

// detail describes fn with its instances; an unreachable container engine
// degrades the answer instead of failing it.
func (s *Server) detail(ctx context.Context, fn *lambda.Function) *FunctionDetail {
	d := &FunctionDetail{
		Name: fn.Name, Project: fn.Project, URL: s.FunctionURL(fn.Name), PathURL: s.PathURL(fn.Name),
		Active: fn.Active, CreatedAt: fn.CreatedAt, UpdatedAt: fn.UpdatedAt,
		Instances: []*lambda.Instance{},
	}
	if fn.Active != nil {
		d.Scaling = fn.Scaling.Effective(fn.Active.Config.Protocol)
		if as, err := s.aliases(); err == nil && !lambda.IsExternal(fn) {
			d.Aliases, _ = as.ListAliases(ctx, fn.Name) // none rather than no answer
		}
	}
	if lambda.IsExternal(fn) {
		// Its replicas are the containers that expose it; the platform
		// does not scale them.
		d.Instances, d.Status = s.externalInstances(ctx, fn.Name), StatusStopped
		if len(d.Instances) > 0 {
			d.Status = StatusReady
		}
		return d
	}
	instances, err := s.Functions.Instances(ctx, fn.Name)
	if err != nil {
		d.Status = status(nil, fn)
		return d
	}
	d.Instances = instances
	d.Status = status(groupRunning(instances), fn)
	return d
}

// runningVersions maps function → versions with a running instance; nil
// when the container engine cannot be asked.
func (s *Server) runningVersions(ctx context.Context, name string) map[string]map[int]bool {
	instances, err := s.Functions.Instances(ctx, name)
	if err != nil {
		return nil
	}
	return groupRunning(instances)
}

// groupRunning maps function → versions with a running instance.
func groupRunning(instances []*lambda.Instance) map[string]map[int]bool {
	out := map[string]map[int]bool{}
	for _, in := range instances {
		if in.Running {
			if out[in.Function] == nil {
				out[in.Function] = map[int]bool{}
			}
			out[in.Function][in.Version] = true
		}
	}
	return out
}

func status(running map[string]map[int]bool, fn *lambda.Function) string {
	switch {
	case running == nil:
		return StatusUnknown
	case running[fn.Name][fn.ActiveVersion]:
		return StatusReady
	default:
		return StatusIdle
	}
}

func (s *Server) handleDeleteFunction(w http.ResponseWriter, r *http.Request) {
	if err := s.Functions.Delete(r.Context(), r.PathValue("name")); err != nil {
		s.writeFunctionError(w, r, err)
		return
	}
	s.SchedulesChanged()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleListVersions(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	fn, err := s.Store.FindFunction(r.Context(), name)
	if err != nil {
		s.writeFunctionError(w, r, err)
		return
	}
	versions, err := s.Store.ListVersions(r.Context(), name)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	out := VersionList{Versions: make([]VersionInfo, 0, len(versions))}
	for _, v := range versions {
		out.Versions = append(out.Versions, VersionInfo{Version: *v, Active: v.Number == fn.ActiveVersion, Pruned: v.PrunedAt != nil})
	}
	respondJSON(w, http.StatusOK, out)
}

func (s *Server) handleRollback(w http.ResponseWriter, r *http.Request) {
	var req RollbackRequest
	if err := s.readJSONBody(w, r, &req); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	to := 0 // the version before the active one
	if req.Version != nil {
		if err := lambda.ValidateVersion(*req.Version); err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		to = *req.Version
	}
	fn, err := s.Functions.Rollback(r.Context(), r.PathValue("name"), to)
	if err != nil {
		s.writeFunctionError(w, r, err)
		return
	}
	respondJSON(w, http.StatusOK, s.detail(r.Context(), fn))
}
