package lambda

import (
	"context"
	"slices"
	"time"
)

// Scopes of an API key, from the most to the least powerful. Each names a
// set of actions; the HTTP layer's route table says which scope each route
// needs and Key.Allows decides.
const (
	ScopeAdmin  = "admin"  // everything, keys included
	ScopeDeploy = "deploy" // deploy, rollback, delete, config and schedules (and everything read allows)
	ScopeInvoke = "invoke" // invoke functions and read their invocations
	ScopeRead   = "read"   // list, describe, versions, logs, stats, invocations
)

// Scopes lists the scopes a key may be given.
var Scopes = []string{ScopeAdmin, ScopeDeploy, ScopeInvoke, ScopeRead}

// KeyIDPrefix and KeySecretPrefix make keys recognisable (in logs, in
// secret scanners): an ID looks like an AWS access key ID so that SigV4
// clients accept it; a secret is what a Bearer token carries.
const (
	KeyIDPrefix     = "LK"
	KeySecretPrefix = "lmb_"
)

// Key is an API key as stored: never its secret, only a hash of it.
type Key struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Scope     string     `json:"scope"`
	Functions []string   `json:"functions,omitempty"` // none: every function
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	LastUsed  *time.Time `json:"last_used_at,omitempty"`
}

// Active reports whether k may be used at now: neither revoked nor expired.
func (k *Key) Active(now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}

// Covers reports whether k may act on function ("" is an action on no
// single function, such as a listing: allowed, and filtered by the caller).
func (k *Key) Covers(function string) bool {
	return len(k.Functions) == 0 || function == "" || slices.Contains(k.Functions, function)
}

// Allows reports whether k's scope grants scope on function. admin grants
// everything; deploy grants read too; invoke and read grant only
// themselves.
func (k *Key) Allows(scope, function string) bool {
	if !k.Covers(function) {
		return false
	}
	switch k.Scope {
	case ScopeAdmin:
		return true
	case ScopeDeploy:
		return scope == ScopeDeploy || scope == ScopeRead
	default:
		return k.Scope == scope
	}
}

// KeyStore persists API keys. Secrets are never stored: Hash is a one-way
// hash of the secret, looked up on every authenticated request.
type KeyStore interface {
	// CreateKey stores k with the hash of its secret.
	CreateKey(ctx context.Context, k *Key, hash []byte) error
	// FindKeyByHash returns the key whose secret hashes to hash; ENOTFOUND
	// if there is none.
	FindKeyByHash(ctx context.Context, hash []byte) (*Key, error)
	FindKey(ctx context.Context, id string) (*Key, error)
	ListKeys(ctx context.Context) ([]*Key, error)
	// RevokeKey marks the key revoked at; revoking twice keeps the first time.
	RevokeKey(ctx context.Context, id string, at time.Time) error
}

// AuditEntry records one control-plane write.
type AuditEntry struct {
	Time     time.Time `json:"time"`
	KeyID    string    `json:"key_id"`
	Addr     string    `json:"addr"`
	Action   string    `json:"action"` // e.g. "deploy", "delete", "keys.create"
	Function string    `json:"function,omitempty"`
	// Target and TargetName name what the write acted on that is not a
	// function: the key of keys.create and keys.revoke, by the ID the
	// keys commands take and the name a reader knows it by (never its
	// secret).
	Target     string `json:"target,omitempty"`
	TargetName string `json:"target_name,omitempty"`
	Result     string `json:"result"` // "ok" or the error code
	Status     int    `json:"status"`
}

// AuditStore persists the audit log.
type AuditStore interface {
	RecordAudit(ctx context.Context, e *AuditEntry) error
	// ListAudit returns entries at or after since, oldest first.
	ListAudit(ctx context.Context, since time.Time) ([]*AuditEntry, error)
}
