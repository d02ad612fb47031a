package http

import (
	"context"
	"net/http"

	"github.com/lambdahq/lambda"
)

// AliasRequest creates or replaces an alias: PUT
// /v1/functions/{name}/aliases/{alias}, or POST .../aliases with Name set.
type AliasRequest struct {
	Name              string  `json:"name,omitempty"`
	Version           int     `json:"version"`
	AdditionalVersion int     `json:"additional_version,omitempty"`
	Weight            float64 `json:"weight,omitempty"`
	Description       string  `json:"description,omitempty"`
}

// aliasRoutes registers the alias API: reads need read scope, changes
// deploy scope (they move traffic as a deploy does).
func (s *Server) aliasRoutes(mux *http.ServeMux) {
	fn := onFunction("name")
	s.route(mux, "GET /v1/functions/{name}/aliases", lambda.ScopeRead, s.handleListAliases, fn)
	s.route(mux, "POST /v1/functions/{name}/aliases", lambda.ScopeDeploy, s.handleSetAlias, fn, audited("alias.set"))
	s.route(mux, "GET /v1/functions/{name}/aliases/{alias}", lambda.ScopeRead, s.handleGetAlias, fn)
	s.route(mux, "PUT /v1/functions/{name}/aliases/{alias}", lambda.ScopeDeploy, s.handleSetAlias, fn, audited("alias.set"))
	s.route(mux, "DELETE /v1/functions/{name}/aliases/{alias}", lambda.ScopeDeploy, s.handleDeleteAlias, fn, audited("alias.delete"))
	s.route(mux, "POST /v1/functions/{name}/promote", lambda.ScopeDeploy, s.handlePromote, fn, audited("promote"))
}

// aliases is the alias service: Functions, when it is one (the engine).
func (s *Server) aliases() (lambda.AliasService, error) {
	if a, ok := s.Functions.(lambda.AliasService); ok {
		return a, nil
	}
	return nil, lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server does not offer aliases")
}

// withAliases runs f with the alias service and the function the path
// names, checked.
func (s *Server) withAliases(w http.ResponseWriter, r *http.Request, f func(ctx context.Context, as lambda.AliasService, function string) error) {
	as, err := s.aliases()
	if err == nil {
		err = lambda.ValidateName(r.PathValue("name"))
	}
	if err == nil {
		err = f(r.Context(), as, r.PathValue("name"))
	}
	if err != nil {
		s.writeFunctionError(w, r, err)
	}
}

func (s *Server) handleListAliases(w http.ResponseWriter, r *http.Request) {
	s.withAliases(w, r, func(ctx context.Context, as lambda.AliasService, function string) error {
		list, err := as.ListAliases(ctx, function)
		if err != nil {
			return err
		}
		respondJSON(w, http.StatusOK, list)
		return nil
	})
}

func (s *Server) handleGetAlias(w http.ResponseWriter, r *http.Request) {
	s.withAliases(w, r, func(ctx context.Context, as lambda.AliasService, function string) error {
		a, err := as.GetAlias(ctx, function, r.PathValue("alias"))
		if err != nil {
			return err
		}
		respondJSON(w, http.StatusOK, a)
		return nil
	})
}

func (s *Server) handleSetAlias(w http.ResponseWriter, r *http.Request) {
	s.withAliases(w, r, func(ctx context.Context, as lambda.AliasService, function string) error {
		var req AliasRequest
		if err := s.readJSONBody(w, r, &req); err != nil {
			return err
		}
		name := r.PathValue("alias")
		switch {
		case name == "":
			name = req.Name // POST .../aliases
		case req.Name != "" && req.Name != name:
			return lambda.Errorf(lambda.EINVALID, "the body names alias %q and the path %q: give one of them", req.Name, name)
		}
		a, err := as.SetAlias(ctx, &lambda.Alias{
			Function: function, Name: name, Version: req.Version,
			AdditionalVersion: req.AdditionalVersion, Weight: req.Weight, Description: req.Description,
		})
		if err != nil {
			return err
		}
		respondJSON(w, http.StatusOK, a)
		return nil
	})
}

func (s *Server) handleDeleteAlias(w http.ResponseWriter, r *http.Request) {
	s.withAliases(w, r, func(ctx context.Context, as lambda.AliasService, function string) error {
		if err := as.DeleteAlias(ctx, function, r.PathValue("alias")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

func (s *Server) handlePromote(w http.ResponseWriter, r *http.Request) {
	s.withAliases(w, r, func(ctx context.Context, as lambda.AliasService, function string) error {
		fn, err := as.Promote(ctx, function)
		if err != nil {
			return err
		}
		respondJSON(w, http.StatusOK, s.detail(ctx, fn))
		return nil
	})
}
