package sqlite

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdahq/lambda"
)

// The API authenticates every request by its key, and a store read per
// request cost an asynchronous submission about 45 µs of its CPU. Keys
// found are kept in memory instead, by hash and by ID. Every change of a
// key goes through a KeyStore of this DB (RevokeKey, CreateKey), which
// empties the cache once its write committed: a revoked key is never
// served from it. Expiry needs nothing: callers check Key.Active on every
// use. An entry lives keyCacheTTL at most, for a database file written by
// another process.
const (
	keyCacheTTL  = time.Minute
	keyCacheSize = 1024 // entries; past it the cache starts over
)

// keyCache is an immutable snapshot swapped whole: readers take no lock.
type keyCache struct {
	mu   sync.Mutex // serializes writers
	gen  atomic.Uint64
	snap atomic.Pointer[keySnapshot]
}

type keySnapshot struct {
	// pool is the reader pool the keys were read through: a DB closed and
	// opened again starts with an empty cache.
	pool    any
	entries map[string]cachedKey
}

type cachedKey struct {
	key   lambda.Key
	until time.Time
}

// get returns a copy of the key cached under id, if any is fresh.
func (c *keyCache) get(pool any, id string, now time.Time) (*lambda.Key, bool) {
	s := c.snap.Load()
	if s == nil || s.pool != pool {
		return nil, false
	}
	e, ok := s.entries[id]
	if !ok || now.After(e.until) {
		return nil, false
	}
	k := e.key
	k.Functions = slices.Clone(k.Functions)
	return &k, true
}

// generation is read before the store is: put keeps what the read found
// only if no change of a key committed since (invalidate).
func (c *keyCache) generation() uint64 { return c.gen.Load() }

// put caches k under id, read through pool when the generation was gen.
func (c *keyCache) put(pool any, id string, k *lambda.Key, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return // a key changed while it was read: what it read may be stale
	}
	entries := map[string]cachedKey{}
	if s := c.snap.Load(); s != nil && s.pool == pool && len(s.entries) < keyCacheSize {
		for id, e := range s.entries {
			if now.Before(e.until) {
				entries[id] = e
			}
		}
	}
	e := cachedKey{key: *k, until: now.Add(keyCacheTTL)}
	e.key.Functions = slices.Clone(k.Functions)
	entries[id] = e
	c.snap.Store(&keySnapshot{pool: pool, entries: entries})
}

// invalidate empties the cache and fails the puts of reads in flight.
func (c *keyCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	c.snap.Store(nil)
}
