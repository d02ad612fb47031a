package sqlite

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestKeyCache: found keys are served from memory (a change behind the
// store's back is not seen until the entry's TTL ends), and a revocation
// through the store is seen by the very next lookup, by hash and by ID.
func TestKeyCache(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	var now atomic.Pointer[time.Time]
	now.Store(&t0)
	db.Now = func() time.Time { return *now.Load() }
	ks := NewKeyStore(db)
	k, secret := mustCreateKey(t, ks, "ci", lambda.ScopeInvoke, []string{"web"}, 0)
	hash := testSecrets().Hash(secret)

	find := func(what string) (*lambda.Key, *lambda.Key) {
		t.Helper()
		byHash, err := ks.FindKeyByHash(ctx, hash)
		if err != nil {
			t.Fatalf("%s: FindKeyByHash: %v", what, err)
		}
		byID, err := ks.FindKey(ctx, k.ID)
		if err != nil {
			t.Fatalf("%s: FindKey: %v", what, err)
		}
		return byHash, byID
	}
	find("first")
	if _, err := db.write.ExecContext(ctx, `UPDATE keys SET name = 'renamed' WHERE id = ?`, k.ID); err != nil {
		t.Fatal(err)
	}
	byHash, byID := find("cached")
	if byHash.Name != "ci" || byID.Name != "ci" {
		t.Errorf("names %q and %q: the lookups read the store, want them from the cache", byHash.Name, byID.Name)
	}
	// Callers get copies: changing one changes nothing cached.
	byHash.Functions[0], byID.Scope = "changed", lambda.ScopeAdmin
	if byHash, byID = find("after the callers' changes"); byHash.Functions[0] != "web" || byID.Scope != lambda.ScopeInvoke {
		t.Errorf("a caller's change reached the cache: %+v %+v", byHash, byID)
	}
	later := t0.Add(keyCacheTTL + time.Second)
	now.Store(&later)
	if byHash, byID = find("past the TTL"); byHash.Name != "renamed" || byID.Name != "renamed" {
		t.Errorf("names %q and %q past the TTL, want the store's", byHash.Name, byID.Name)
	}

	if err := ks.RevokeKey(ctx, k.ID, later); err != nil {
		t.Fatal(err)
	}
	if byHash, byID = find("revoked"); byHash.RevokedAt == nil || byID.RevokedAt == nil {
		t.Errorf("after RevokeKey: %+v %+v, want both revoked", byHash, byID)
	}
	if _, err := ks.FindKeyByHash(ctx, testSecrets().Hash("lmb_nosuch")); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("an unknown secret: %v, want not found", err)
	}
}

// TestKeyCacheRevokeRace: lookups running while a key is revoked may see
// it active until RevokeKey returns, never after.
func TestKeyCacheRevokeRace(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	db.Now = time.Now
	ks := NewKeyStore(db)
	for round := range 20 {
		k, secret := mustCreateKey(t, ks, fmt.Sprint("k", round), lambda.ScopeRead, nil, 0)
		hash := testSecrets().Hash(secret)
		var revoked atomic.Bool
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					after := revoked.Load()
					got, err := ks.FindKeyByHash(ctx, hash)
					if err != nil {
						t.Error(err)
						return
					}
					if after && got.RevokedAt == nil {
						t.Errorf("round %d: key found active after RevokeKey returned", round)
						return
					}
				}
			}()
		}
		time.Sleep(time.Millisecond)
		if err := ks.RevokeKey(ctx, k.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		revoked.Store(true)
		time.Sleep(2 * time.Millisecond)
		close(stop)
		wg.Wait()
	}
}

// TestKeyCacheBounds: a read that began before a change is not cached,
// and the cache never holds more than keyCacheSize entries.
func TestKeyCacheBounds(t *testing.T) {
	var c keyCache
	pool := new(int)
	k := &lambda.Key{ID: "LK1", Scope: lambda.ScopeRead}
	gen := c.generation()
	c.invalidate() // a key changed while it was being read
	c.put(pool, "id:LK1", k, gen, t0)
	if _, ok := c.get(pool, "id:LK1", t0); ok {
		t.Error("a read from before a change was cached")
	}
	for i := range keyCacheSize + 10 {
		c.put(pool, fmt.Sprint("id:", i), k, c.generation(), t0)
		if n := len(c.snap.Load().entries); n > keyCacheSize {
			t.Fatalf("%d entries, over the bound %d", n, keyCacheSize)
		}
	}
	if _, ok := c.get(new(int), fmt.Sprint("id:", keyCacheSize+9), t0); ok {
		t.Error("an entry read through another pool was served")
	}
}
