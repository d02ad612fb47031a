package lambda

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// MasterKeyBytes is the size of the server's master key.
const MasterKeyBytes = 32

// KeySecrets derives API key secrets from the server's master key. A secret
// is never stored: it is recomputed from the key's ID, which lets SigV4
// verification find the secret of an access key ID, while the store keeps
// only a hash for Bearer lookups. Whoever holds the master key can derive
// every secret, so it stays in the data directory, readable by the server
// alone.
type KeySecrets struct {
	Master []byte
}

// keyIDChars is the length of an ID after its prefix: 18 base32 characters
// (90 bits) make a 20-character ID, the length of an AWS access key ID.
const keyIDChars = 18

// NewID returns a random key ID like "LKABCDEFGHIJKLMNOPQR".
func (KeySecrets) NewID() string {
	var b [12]byte
	rand.Read(b[:]) // never fails since Go 1.24
	return KeyIDPrefix + base32.StdEncoding.EncodeToString(b[:])[:keyIDChars]
}

// Secret returns the secret of the key id: "lmb_" and the unpadded
// base64url of HMAC-SHA256(master, id).
func (s KeySecrets) Secret(id string) string {
	mac := hmac.New(sha256.New, s.Master)
	mac.Write([]byte(id))
	return KeySecretPrefix + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Hash returns what the store keeps of a secret. The secret is 256 bits of
// HMAC output, so a plain SHA-256 is enough: there is nothing to guess.
func (KeySecrets) Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// NewKey validates a key request and returns the key, its secret (shown to
// its owner once) and the hash to store. expires is how long the key lasts
// from now; 0 for ever.
func (s KeySecrets) NewKey(name, scope string, functions []string, expires time.Duration, now time.Time) (k *Key, secret string, hash []byte, err error) {
	if len(s.Master) < MasterKeyBytes {
		return nil, "", nil, Errorf(EINTERNAL, "the server's master key is missing")
	}
	if err := ValidateKeyName(name); err != nil {
		return nil, "", nil, err
	}
	if err := ValidateScope(scope); err != nil {
		return nil, "", nil, err
	}
	if expires < 0 {
		return nil, "", nil, Errorf(EINVALID, "expiry %s is in the past: use a positive duration such as 30d or 12h", expires)
	}
	fns := slices.Clone(functions)
	slices.Sort(fns)
	fns = slices.Compact(fns)
	for _, f := range fns {
		if err := ValidateName(f); err != nil {
			return nil, "", nil, err
		}
	}
	now = now.UTC()
	k = &Key{ID: s.NewID(), Name: name, Scope: scope, Functions: fns, CreatedAt: now}
	if expires > 0 {
		at := now.Add(expires)
		k.ExpiresAt = &at
	}
	secret = s.Secret(k.ID)
	return k, secret, s.Hash(secret), nil
}

// ValidateKeyName checks a key's name: 1-64 printable characters, a label
// for people (e.g. "ci-deploy" or "Alice's laptop").
func ValidateKeyName(name string) error {
	const rule = "use 1-64 printable characters"
	if name == "" || strings.TrimSpace(name) == "" {
		return Errorf(EINVALID, "key name is empty: %s", rule)
	}
	if n := len([]rune(name)); n > 64 {
		return Errorf(EINVALID, "key name %.20q... is %d characters long: %s", name, n, rule)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return Errorf(EINVALID, "key name %q contains %q: %s", name, r, rule)
		}
	}
	return nil
}

// ValidateScope checks that scope is one of Scopes.
func ValidateScope(scope string) error {
	if slices.Contains(Scopes, scope) {
		return nil
	}
	if scope == "" {
		return Errorf(EINVALID, "key scope is empty: use one of %s", strings.Join(Scopes, ", "))
	}
	return Errorf(EINVALID, "key scope %q is unknown: use one of %s", scope, strings.Join(Scopes, ", "))
}

// ParseKeyExpiry reads how long a key lasts: days as "30d", or a Go
// duration such as "12h" or "90m". It must be positive.
func ParseKeyExpiry(s string) (time.Duration, error) {
	const rule = "use days such as 30d, or a duration such as 12h"
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n > 100*365 {
			return 0, Errorf(EINVALID, "expiry %q is invalid: %s", s, rule)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		v, err := time.ParseDuration(s)
		if err != nil {
			return 0, Errorf(EINVALID, "expiry %q is invalid: %s", s, rule)
		}
		d = v
	}
	if d <= 0 {
		return 0, Errorf(EINVALID, "expiry %q is not positive: %s", s, rule)
	}
	return d, nil
}
