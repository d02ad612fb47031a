package http

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// KeyRequest is the body of POST /v1/keys.
type KeyRequest struct {
	Name      string   `json:"name"`
	Scope     string   `json:"scope"`
	Functions []string `json:"functions,omitempty"`
	// Expires is how long the key lasts: "30d" or a duration such as
	// "12h"; empty for ever.
	Expires string `json:"expires,omitempty"`
}

// CreatedKey is the answer of POST /v1/keys: the key and its secret, which
// the server never shows again.
type CreatedKey struct {
	lambda.Key
	Secret string `json:"secret"`
}

// KeyList is the body of GET /v1/keys: never a secret.
type KeyList struct {
	Keys []*lambda.Key `json:"keys"`
}

// AuditList is the body of GET /v1/audit.
type AuditList struct {
	Entries []*lambda.AuditEntry `json:"entries"`
}

func (s *Server) handleCreateKey(w http.ResponseWriter, r *http.Request) {
	var req KeyRequest
	if err := s.readJSONBody(w, r, &req); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	var expires time.Duration
	if req.Expires != "" {
		d, err := lambda.ParseKeyExpiry(req.Expires)
		if err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		expires = d
	}
	if err := withinCaller(keyFrom(r.Context()), req.Functions); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	k, secret, hash, err := s.Secrets.NewKey(req.Name, req.Scope, req.Functions, expires, time.Now())
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	if err := s.keyStore().CreateKey(r.Context(), k, hash); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	auditTarget(w, k.ID, k.Name)
	s.Logger.Info("API key created", "key", k.ID, "name", k.Name, "scope", k.Scope, "by", keyIDOf(keyFrom(r.Context())))
	respondJSON(w, http.StatusCreated, CreatedKey{Key: *k, Secret: secret})
}

// withinCaller refuses a key wider than the admin key that creates it: a
// key limited to functions may only create keys limited to some of them.
func withinCaller(caller *lambda.Key, functions []string) error {
	if caller == nil || len(caller.Functions) == 0 {
		return nil
	}
	if len(functions) == 0 {
		return lambda.Errorf(lambda.EFORBIDDEN, "API key %s is limited to %s: name the functions of the new key with --function", caller.ID, strings.Join(caller.Functions, ", "))
	}
	for _, f := range functions {
		if !caller.Covers(f) {
			return lambda.Errorf(lambda.EFORBIDDEN, "API key %s may not act on function %q, so it may not create a key for it", caller.ID, f)
		}
	}
	return nil
}

func (s *Server) handleListKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := s.keyStore().ListKeys(r.Context())
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	// A key limited to functions sees only keys limited to some of them.
	caller := keyFrom(r.Context())
	keys = slices.DeleteFunc(keys, func(k *lambda.Key) bool { return withinCaller(caller, k.Functions) != nil })
	if keys == nil {
		keys = []*lambda.Key{}
	}
	respondJSON(w, http.StatusOK, KeyList{Keys: keys})
}

// handleRevokeKey revokes a key; the next request with it is refused, as
// the middleware reads keys from the store on every request.
func (s *Server) handleRevokeKey(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	k, err := s.keyStore().FindKey(ctx, id)
	if err == nil {
		// Only a key found is named: the path may hold anything, even
		// a secret pasted in place of an ID.
		auditTarget(w, k.ID, k.Name)
		err = withinCaller(keyFrom(ctx), k.Functions)
	}
	if err == nil {
		err = s.checkNotLastAdmin(ctx, k)
	}
	if err == nil {
		err = s.keyStore().RevokeKey(ctx, id, time.Now().UTC())
	}
	if err == nil {
		k, err = s.keyStore().FindKey(ctx, id)
	}
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	s.Logger.Info("API key revoked", "key", k.ID, "name", k.Name, "by", keyIDOf(keyFrom(ctx)))
	respondJSON(w, http.StatusOK, k)
}

// checkNotLastAdmin refuses to revoke the last active admin key for all
// functions: nobody could create keys any more, and the server creates an
// admin key only when there is none at all.
func (s *Server) checkNotLastAdmin(ctx context.Context, k *lambda.Key) error {
	now := time.Now()
	if k.Scope != lambda.ScopeAdmin || len(k.Functions) > 0 || !k.Active(now) {
		return nil
	}
	keys, err := s.keyStore().ListKeys(ctx)
	if err != nil {
		return err
	}
	for _, o := range keys {
		if o.ID != k.ID && o.Scope == lambda.ScopeAdmin && len(o.Functions) == 0 && o.Active(now) {
			return nil
		}
	}
	return lambda.Errorf(lambda.ECONFLICT, "key %s is the last admin key: create another with `lambda keys create NAME --scope admin` before revoking it", k.ID)
}

// handleWhoami answers the key the request authenticated with, so that
// `lambda login` can check a key and show what it may do.
func (s *Server) handleWhoami(w http.ResponseWriter, r *http.Request) {
	k := keyFrom(r.Context())
	if k == nil {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.EUNAUTHORIZED, "this request carries no API key"))
		return
	}
	respondJSON(w, http.StatusOK, k)
}

// handleListAudit lists the audit log from ?since= (RFC 3339; all of it
// when absent).
func (s *Server) handleListAudit(w http.ResponseWriter, r *http.Request) {
	var since time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			writeError(w, r, s.Logger, lambda.Errorf(lambda.EINVALID, "since %q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", v))
			return
		}
		since = t
	}
	if s.Audit == nil {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server keeps no audit log"))
		return
	}
	entries, err := s.Audit.ListAudit(r.Context(), since)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	// A key limited to functions sees only what was done to them.
	if caller := keyFrom(r.Context()); caller != nil && len(caller.Functions) > 0 {
		entries = slices.DeleteFunc(entries, func(e *lambda.AuditEntry) bool { return e.Function == "" || !caller.Covers(e.Function) })
	}
	if entries == nil {
		entries = []*lambda.AuditEntry{}
	}
	respondJSON(w, http.StatusOK, AuditList{Entries: entries})
}

// keyStore is s.Keys, or a store that has no keys.
func (s *Server) keyStore() lambda.KeyStore {
	if s.Keys == nil {
		return noKeys{}
	}
	return s.Keys
}

// noKeys is the key store of a server built without one.
type noKeys struct{}

func (noKeys) unavailable() error {
	return lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server has no key store")
}
func (n noKeys) CreateKey(context.Context, *lambda.Key, []byte) error { return n.unavailable() }
func (n noKeys) FindKeyByHash(context.Context, []byte) (*lambda.Key, error) {
	return nil, n.unavailable()
}
func (n noKeys) FindKey(context.Context, string) (*lambda.Key, error) { return nil, n.unavailable() }
func (n noKeys) ListKeys(context.Context) ([]*lambda.Key, error)      { return nil, n.unavailable() }
func (n noKeys) RevokeKey(context.Context, string, time.Time) error   { return n.unavailable() }
