package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lambdahq/lambda"
)

var _ lambda.KeyStore = (*KeyStore)(nil)

// KeyStore implements lambda.KeyStore. It stores a hash of each secret,
// never the secret itself.
type KeyStore struct {
	db *DB
}

// NewKeyStore returns a store on db, which must be opened before use.
func NewKeyStore(db *DB) *KeyStore {
	return &KeyStore{db: db}
}

const keyColumns = `id, name, scope, functions, created_at, expires_at, revoked_at, last_used_at`

func keyNotFound(id string) error {
	return lambda.Errorf(lambda.ENOTFOUND, "key %q not found: list the keys with \"lambda keys list\"", id)
}

// CreateKey stores k with the hash of its secret. ECONFLICT if the ID or
// the hash is taken.
func (s *KeyStore) CreateKey(ctx context.Context, k *lambda.Key, hash []byte) error {
	if k == nil || k.ID == "" || len(hash) == 0 {
		return lambda.Errorf(lambda.EINVALID, "key has no ID or no hash")
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.db.now()
	}
	fns := k.Functions
	if fns == nil {
		fns = []string{}
	}
	js, err := json.Marshal(fns)
	if err != nil {
		return fmt.Errorf("sqlite: encode key functions: %w", err)
	}
	defer s.db.keys.invalidate()
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO keys (`+keyColumns+`, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.Name, k.Scope, string(js), formatTime(k.CreatedAt),
			formatNullTime(k.ExpiresAt), formatNullTime(k.RevokedAt), formatNullTime(k.LastUsed), hash)
		switch {
		case isPrimaryKeyViolation(err):
			return lambda.Errorf(lambda.ECONFLICT, "key %q already exists", k.ID)
		case err != nil:
			return fmt.Errorf("sqlite: insert key %q: %w", k.ID, err)
		}
		return nil
	})
}

func scanKey(row scanner) (*lambda.Key, error) {
	var (
		k                      lambda.Key
		fns, created           string
		expires, revoked, used sql.NullString
	)
	if err := row.Scan(&k.ID, &k.Name, &k.Scope, &fns, &created, &expires, &revoked, &used); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fns), &k.Functions); err != nil {
		return nil, fmt.Errorf("sqlite: key %q functions: %w", k.ID, err)
	}
	if len(k.Functions) == 0 {
		k.Functions = nil
	}
	var err error
	if k.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if k.ExpiresAt, err = parseNullTime(expires); err != nil {
		return nil, err
	}
	if k.RevokedAt, err = parseNullTime(revoked); err != nil {
		return nil, err
	}
	if k.LastUsed, err = parseNullTime(used); err != nil {
		return nil, err
	}
	return &k, nil
}

// FindKeyByHash returns the key whose secret hashes to hash, revoked or
// expired ones too: the caller decides with Key.Active. The lookup goes
// through the UNIQUE index on hash, an equality on a digest of a
// high-entropy secret, so its timing tells nothing about the secret.
// Found keys are cached (key_cache.go); a secret not found is looked up
// every time.
func (s *KeyStore) FindKeyByHash(ctx context.Context, hash []byte) (*lambda.Key, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	now, id := s.db.now(), "hash:"+string(hash)
	if k, ok := s.db.keys.get(read, id, now); ok {
		return k, nil
	}
	gen := s.db.keys.generation()
	k, err := scanKey(read.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM keys WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "no key has this secret")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find key by hash: %w", err)
	}
	s.db.keys.put(read, id, k, gen, now)
	return k, nil
}

// FindKey returns the key with id.
// It is cached as FindKeyByHash's answers are (SigV4 requests name their
// key by ID).
func (s *KeyStore) FindKey(ctx context.Context, id string) (*lambda.Key, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	now, cid := s.db.now(), "id:"+id
	if k, ok := s.db.keys.get(read, cid, now); ok {
		return k, nil
	}
	gen := s.db.keys.generation()
	k, err := scanKey(read.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keyNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find key %q: %w", id, err)
	}
	s.db.keys.put(read, cid, k, gen, now)
	return k, nil
}

// ListKeys returns every key, revoked ones included, oldest first.
func (s *KeyStore) ListKeys(ctx context.Context) ([]*lambda.Key, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	rows, err := read.QueryContext(ctx, `SELECT `+keyColumns+` FROM keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list keys: %w", err)
	}
	defer rows.Close()
	var out []*lambda.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list keys: %w", err)
	}
	return out, nil
}

// RevokeKey marks the key revoked at; revoking twice keeps the first time.
func (s *KeyStore) RevokeKey(ctx context.Context, id string, at time.Time) error {
	// After the write, committed or not: no read of the key from before it
	// stays cached.
	defer s.db.keys.invalidate()
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, formatTime(at), id)
		if err != nil {
			return fmt.Errorf("sqlite: revoke key %q: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlite: revoke key %q: %w", id, err)
		} else if n == 0 {
			return keyNotFound(id)
		}
		return nil
	})
}

// CountKeys returns how many keys exist, revoked ones included: the
// server creates its first admin key only when there are none.
func (s *KeyStore) CountKeys(ctx context.Context) (int, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return 0, err
	}
	var n int
	if err := read.QueryRowContext(ctx, `SELECT COUNT(*) FROM keys`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count keys: %w", err)
	}
	return n, nil
}
