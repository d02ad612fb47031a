package http

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/lambdahq/lambda"
)

// HookRequest is the body of POST /v1/hooks.
type HookRequest struct {
	Project    string `json:"project"`
	Repository string `json:"repository"`
	Branch     string `json:"branch,omitempty"`
	Subdir     string `json:"subdir,omitempty"`
	// Secret signs the deliveries ("": the server generates one).
	Secret string `json:"secret,omitempty"`
	// Token authenticates the https clones of a private repository; the
	// server stores it sealed with the secret and never shows it again.
	Token string `json:"token,omitempty"`
}

// HookCreated answers POST /v1/hooks: the hook, the path a sender posts
// its deliveries to and the secret it signs them with, shown this once.
type HookCreated struct {
	Hook   *lambda.Hook `json:"hook"`
	Path   string       `json:"path"`
	Secret string       `json:"secret"`
}

// HookList is the body of GET /v1/hooks.
type HookList struct {
	Hooks []*lambda.Hook `json:"hooks"`
}

// hookBodyTimeout bounds the arrival of a delivery's body: the endpoint
// takes no key, so a slow sender must not hold a connection for long.
var hookBodyTimeout = 30 * time.Second // a variable for tests

// hookRoutes registers the webhook API. Deliveries need no key: they are
// public, HMAC-verified (the hook's secret signs each body).
func (s *Server) hookRoutes(mux *http.ServeMux) {
	s.route(mux, "POST /v1/hooks", lambda.ScopeDeploy, s.handleCreateHook, audited("hooks.create"))
	s.route(mux, "GET /v1/hooks", lambda.ScopeRead, s.handleListHooks)
	s.route(mux, "DELETE /v1/hooks/{id}", lambda.ScopeDeploy, s.handleDeleteHook, audited("hooks.delete"))
	s.route(mux, "POST /v1/hooks/{id}", scopePublic, s.handleHookDelivery) // public, HMAC-verified
}

func (s *Server) hooks() (lambda.HookService, error) {
	if s.Hooks == nil {
		return nil, lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server does not run webhooks")
	}
	return s.Hooks, nil
}

func (s *Server) handleCreateHook(w http.ResponseWriter, r *http.Request) {
	var req HookRequest
	if err := s.readJSONBody(w, r, &req); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	auditFunction(w, req.Project)
	// A hook deploys whatever the pushed tree declares, a project's many
	// functions included, so it takes a key not limited to functions.
	if k := keyFrom(r.Context()); k != nil && len(k.Functions) > 0 {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.EFORBIDDEN, "key %s is limited to functions %v, and a hook may deploy any function the repository's lambda.yaml names: use a deploy key not limited to functions", k.ID, k.Functions))
		return
	}
	hooks, err := s.hooks()
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	h, secret, err := hooks.CreateHook(r.Context(), lambda.HookRequest{Project: req.Project, Repository: req.Repository, Branch: req.Branch, Subdir: req.Subdir, Secret: req.Secret, Token: req.Token})
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store") // the answer holds the secret
	respondJSON(w, http.StatusCreated, HookCreated{Hook: h, Path: lambda.HookPath(h.ID), Secret: secret})
}

func (s *Server) handleListHooks(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.hooks()
	if err == nil {
		var list []*lambda.Hook
		if list, err = hooks.ListHooks(r.Context()); err == nil {
			if list == nil {
				list = []*lambda.Hook{}
			}
			respondJSON(w, http.StatusOK, HookList{Hooks: list})
			return
		}
	}
	writeError(w, r, s.Logger, err)
}

func (s *Server) handleDeleteHook(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.hooks()
	if err == nil {
		err = hooks.DeleteHook(r.Context(), r.PathValue("id"))
	}
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleHookDelivery takes a webhook delivery: the raw body, as signed,
// goes to the hook service with the headers GitHub (and Gitea, Forgejo)
// send. A deploy started: 202 with the delivery's deploy ID; a delivery
// acted on before: 202 with that deploy; an event or branch ignored: 200.
func (s *Server) handleHookDelivery(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.hooks()
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(hookBodyTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, lambda.MaxHookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			err = lambda.Errorf(lambda.ETOOLARGE, "the delivery's body is over %d bytes", lambda.MaxHookBody)
		} else {
			err = lambda.Errorf(lambda.ECLIENTTIMEOUT, "the delivery's body did not arrive: %v", err)
		}
		writeError(w, r, s.Logger, err)
		return
	}
	res, err := hooks.Deliver(r.Context(), r.PathValue("id"), lambda.Delivery{
		ID:        r.Header.Get("X-GitHub-Delivery"),
		Event:     r.Header.Get("X-GitHub-Event"),
		Signature: r.Header.Get("X-Hub-Signature-256"),
		Body:      body,
	})
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	status := http.StatusOK
	if res.Accepted {
		status = http.StatusAccepted
	}
	respondJSON(w, status, res)
}
