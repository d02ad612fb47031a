package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// keysMem is an in-memory lambda.KeyStore and lambda.AuditStore.
type keysMem struct {
	mu     sync.Mutex
	keys   []*lambda.Key
	hashes map[string]string // hash → key ID
	audit  []*lambda.AuditEntry
}

func (m *keysMem) CreateKey(_ context.Context, k *lambda.Key, hash []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hashes == nil {
		m.hashes = map[string]string{}
	}
	c := *k
	m.keys = append(m.keys, &c)
	m.hashes[string(hash)] = k.ID
	return nil
}

func (m *keysMem) FindKeyByHash(ctx context.Context, hash []byte) (*lambda.Key, error) {
	m.mu.Lock()
	id, ok := m.hashes[string(hash)]
	m.mu.Unlock()
	if !ok {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "no key")
	}
	return m.FindKey(ctx, id)
}

func (m *keysMem) FindKey(_ context.Context, id string) (*lambda.Key, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range m.keys {
		if k.ID == id {
			c := *k
			return &c, nil
		}
	}
	return nil, lambda.Errorf(lambda.ENOTFOUND, "key %q not found", id)
}

func (m *keysMem) ListKeys(context.Context) ([]*lambda.Key, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*lambda.Key
	for _, k := range m.keys {
		c := *k
		out = append(out, &c)
	}
	return out, nil
}

func (m *keysMem) RevokeKey(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range m.keys {
		if k.ID == id {
			if k.RevokedAt == nil {
				k.RevokedAt = &at
			}
			return nil
		}
	}
	return lambda.Errorf(lambda.ENOTFOUND, "key %q not found", id)
}

func (m *keysMem) RecordAudit(_ context.Context, e *lambda.AuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := *e
	m.audit = append(m.audit, &c)
	return nil
}

func (m *keysMem) ListAudit(_ context.Context, since time.Time) ([]*lambda.AuditEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*lambda.AuditEntry
	for _, e := range m.audit {
		if !e.Time.Before(since) {
			c := *e
			out = append(out, &c)
		}
	}
	return out, nil
}

// newKeysServer serves the control API with authentication on, and returns
// a client holding a fresh admin key.
func newKeysServer(t *testing.T) (*keysMem, string, *Client) {
	t.Helper()
	mem := &keysMem{}
	s := NewServer()
	s.Keys, s.Audit = mem, mem
	s.Secrets = lambda.KeySecrets{Master: bytes.Repeat([]byte{3}, lambda.MasterKeyBytes)}
	k, secret, hash, err := s.Secrets.NewKey("admin", lambda.ScopeAdmin, nil, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	mem.CreateKey(context.Background(), k, hash)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL)
	c.APIKey = secret
	return mem, srv.URL, c
}

func withKeyOf(c *Client, secret string) *Client {
	o := *c
	o.APIKey = secret
	return &o
}

func TestKeysCreateListRevoke(t *testing.T) {
	ctx := context.Background()
	mem, _, admin := newKeysServer(t)

	created, err := admin.CreateKey(ctx, KeyRequest{Name: "ci", Scope: lambda.ScopeDeploy, Functions: []string{"web"}, Expires: "30d"})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	if !strings.HasPrefix(created.Secret, lambda.KeySecretPrefix) || !strings.HasPrefix(created.ID, lambda.KeyIDPrefix) ||
		created.ExpiresAt == nil || created.ExpiresAt.Sub(created.CreatedAt) != 30*24*time.Hour {
		t.Fatalf("created = %+v", created)
	}
	ci := withKeyOf(admin, created.Secret)
	me, err := ci.Whoami(ctx)
	if err != nil || me.ID != created.ID || me.Scope != lambda.ScopeDeploy {
		t.Fatalf("Whoami with the new key = %+v, %v", me, err)
	}

	keys, err := admin.ListKeys(ctx)
	if err != nil || len(keys) != 2 || keys[1].ID != created.ID {
		t.Fatalf("ListKeys = %v, %v; want admin and ci", keys, err)
	}
	// A deploy key may not manage keys.
	if _, err := ci.ListKeys(ctx); lambda.ErrorCode(err) != lambda.EFORBIDDEN {
		t.Fatalf("ListKeys with a deploy key: %v, want forbidden", err)
	}
	if _, err := ci.RevokeKey(ctx, created.ID); lambda.ErrorCode(err) != lambda.EFORBIDDEN {
		t.Fatalf("RevokeKey with a deploy key: %v, want forbidden", err)
	}
	if _, err := ci.RevokeKey(ctx, created.Secret); lambda.ErrorCode(err) != lambda.EFORBIDDEN {
		t.Fatalf("RevokeKey of a secret with a deploy key: %v, want forbidden", err)
	}

	revoked, err := admin.RevokeKey(ctx, created.ID)
	if err != nil || revoked.RevokedAt == nil {
		t.Fatalf("RevokeKey = %+v, %v", revoked, err)
	}
	// Effective on the next request.
	if _, err := ci.Whoami(ctx); lambda.ErrorCode(err) != lambda.EUNAUTHORIZED || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("Whoami with a revoked key: %v, want unauthorized (revoked)", err)
	}
	if _, err := admin.RevokeKey(ctx, "LKNOPE"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Fatalf("RevokeKey of an unknown key: %v, want not_found", err)
	}
	// A secret in place of an ID is not found, and not recorded.
	if _, err := admin.RevokeKey(ctx, created.Secret); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Fatalf("RevokeKey of a secret: %v, want not_found", err)
	}

	// The writes are in the audit log, naming the key they acted on by ID
	// and name; the reads are not.
	entries, err := admin.ListAudit(ctx, time.Time{})
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, fmt.Sprintf("%s:%s:%s:%s", e.Action, e.Result, e.Target, e.TargetName))
	}
	// A refusal names the key it kept, once found (not a secret).
	want := "keys.create:ok:" + created.ID + ":ci keys.revoke:forbidden:" + created.ID + ":ci keys.revoke:forbidden:: keys.revoke:ok:" + created.ID + ":ci keys.revoke:not_found:: keys.revoke:not_found::"
	if got := strings.Join(actions, " "); got != want {
		t.Fatalf("audit entries = %q, want %q", got, want)
	}
	if b, _ := json.Marshal(entries); strings.Contains(string(b), created.Secret) {
		t.Fatalf("the audit log holds a secret: %s", b)
	}
	if later, err := admin.ListAudit(ctx, time.Now().Add(time.Hour)); err != nil || len(later) != 0 {
		t.Fatalf("ListAudit(since later) = %v, %v; want none", later, err)
	}
	if len(mem.audit) != 6 {
		t.Fatalf("audit store holds %d entries, want 6", len(mem.audit))
	}
}

func TestKeysCreateRefusals(t *testing.T) {
	ctx := context.Background()
	_, _, admin := newKeysServer(t)
	limited, err := admin.CreateKey(ctx, KeyRequest{Name: "web admin", Scope: lambda.ScopeAdmin, Functions: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		client *Client
		req    KeyRequest
		code   string
		msg    string
	}{
		{"bad scope", admin, KeyRequest{Name: "x", Scope: "root"}, lambda.EINVALID, "unknown"},
		{"no name", admin, KeyRequest{Scope: lambda.ScopeRead}, lambda.EINVALID, "name is empty"},
		{"bad expiry", admin, KeyRequest{Name: "x", Scope: lambda.ScopeRead, Expires: "soon"}, lambda.EINVALID, "expiry"},
		{"bad function", admin, KeyRequest{Name: "x", Scope: lambda.ScopeRead, Functions: []string{"A"}}, lambda.EINVALID, "function name"},
		{"limited admin, all functions", withKeyOf(admin, limited.Secret), KeyRequest{Name: "x", Scope: lambda.ScopeRead}, lambda.EFORBIDDEN, "limited to web"},
		{"limited admin, other function", withKeyOf(admin, limited.Secret), KeyRequest{Name: "x", Scope: lambda.ScopeRead, Functions: []string{"api"}}, lambda.EFORBIDDEN, `"api"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.CreateKey(ctx, tt.req)
			if lambda.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("CreateKey: %v, want %s containing %q", err, tt.code, tt.msg)
			}
		})
	}
	// Within its functions, a limited admin creates keys and sees only those.
	if _, err := withKeyOf(admin, limited.Secret).CreateKey(ctx, KeyRequest{Name: "x", Scope: lambda.ScopeRead, Functions: []string{"web"}}); err != nil {
		t.Fatalf("limited admin creating a key for its function: %v", err)
	}
	keys, err := withKeyOf(admin, limited.Secret).ListKeys(ctx)
	if err != nil || len(keys) != 2 {
		t.Fatalf("ListKeys by the limited admin = %d keys, %v; want its own and the one it made", len(keys), err)
	}
}

func TestKeysLastAdminStays(t *testing.T) {
	ctx := context.Background()
	mem, _, admin := newKeysServer(t)
	me, err := admin.Whoami(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RevokeKey(ctx, me.ID); lambda.ErrorCode(err) != lambda.ECONFLICT || !strings.Contains(err.Error(), "last admin key") {
		t.Fatalf("revoking the last admin key: %v, want conflict", err)
	}
	// The refusal names the key it kept.
	mem.mu.Lock()
	e := *mem.audit[0]
	mem.mu.Unlock()
	if e.Action != "keys.revoke" || e.Result != lambda.ECONFLICT || e.Target != me.ID || e.TargetName != "admin" {
		t.Fatalf("audit of the refusal = %+v", e)
	}
	other, err := admin.CreateKey(ctx, KeyRequest{Name: "admin 2", Scope: lambda.ScopeAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RevokeKey(ctx, me.ID); err != nil {
		t.Fatalf("revoking an admin key while another exists: %v", err)
	}
	if _, err := withKeyOf(admin, other.Secret).Whoami(ctx); err != nil {
		t.Fatalf("the other admin key: %v", err)
	}
}

func TestKeysWireFormat(t *testing.T) {
	_, url, admin := newKeysServer(t)
	tests := []struct {
		name, method, path, body string
		key                      string
		status                   int
		want                     string
	}{
		{"no key", "GET", "/v1/keys", "", "", 401, `"code":"unauthorized"`},
		{"secret never listed", "GET", "/v1/keys", "", admin.APIKey, 200, `"keys":[{"id":"LK`},
		{"unknown field", "POST", "/v1/keys", `{"name":"x","scope":"read","secrt":1}`, admin.APIKey, 400, "unknown field"},
		{"bad since", "GET", "/v1/audit?since=yesterday", "", admin.APIKey, 400, "RFC 3339"},
		{"whoami", "GET", "/v1/whoami", "", admin.APIKey, 200, `"scope":"admin"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, url+tt.path, strings.NewReader(tt.body))
			if tt.key != "" {
				req.Header.Set("Authorization", "Bearer "+tt.key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(b.String(), tt.want) {
				t.Fatalf("%s %s = %d %s, want %d containing %s", tt.method, tt.path, resp.StatusCode, b.String(), tt.status, tt.want)
			}
			if strings.Contains(b.String(), lambda.KeySecretPrefix) {
				t.Fatalf("answer holds a secret: %s", b.String())
			}
		})
	}
}
