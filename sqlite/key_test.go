package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func testSecrets() lambda.KeySecrets {
	return lambda.KeySecrets{Master: bytes.Repeat([]byte{1}, lambda.MasterKeyBytes)}
}

// mustCreateKey creates a key at db.Now, so keys created one after the
// other are listed in that order.
func mustCreateKey(t *testing.T, ks *KeyStore, name, scope string, fns []string, expires time.Duration) (*lambda.Key, string) {
	t.Helper()
	k, secret, hash, err := testSecrets().NewKey(name, scope, fns, expires, ks.db.now())
	if err != nil {
		t.Fatalf("NewKey: %v", err)
	}
	if err := ks.CreateKey(context.Background(), k, hash); err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return k, secret
}

func TestKeyStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	ks := NewKeyStore(openTestDB(t))
	admin, adminSecret := mustCreateKey(t, ks, "admin", lambda.ScopeAdmin, nil, 0)
	ci, ciSecret := mustCreateKey(t, ks, "ci", lambda.ScopeDeploy, []string{"web", "api"}, 30*24*time.Hour)

	for _, tt := range []struct {
		secret string
		want   *lambda.Key
	}{{adminSecret, admin}, {ciSecret, ci}} {
		got, err := ks.FindKeyByHash(ctx, testSecrets().Hash(tt.secret))
		if err != nil {
			t.Fatalf("FindKeyByHash: %v", err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Fatalf("FindKeyByHash = %+v, want %+v", got, tt.want)
		}
		byID, err := ks.FindKey(ctx, tt.want.ID)
		if err != nil || fmt.Sprint(byID) != fmt.Sprint(tt.want) {
			t.Fatalf("FindKey = %+v, %v; want %+v", byID, err, tt.want)
		}
	}
	if !ci.ExpiresAt.Equal(ci.CreatedAt.Add(30 * 24 * time.Hour)) {
		t.Fatalf("ExpiresAt = %v", ci.ExpiresAt)
	}
	got, _ := ks.FindKey(ctx, ci.ID)
	if got.ExpiresAt == nil || !got.ExpiresAt.Equal(*ci.ExpiresAt) || fmt.Sprint(got.Functions) != "[api web]" {
		t.Fatalf("stored key = %+v", got)
	}

	_, err := ks.FindKeyByHash(ctx, testSecrets().Hash("lmb_wrong"))
	checkErr(t, err, lambda.ENOTFOUND, "")
	_, err = ks.FindKey(ctx, "LKNOPE")
	checkErr(t, err, lambda.ENOTFOUND, "LKNOPE")

	list, err := ks.ListKeys(ctx)
	if err != nil || len(list) != 2 || list[0].ID != admin.ID || list[1].ID != ci.ID {
		t.Fatalf("ListKeys = %v, %v; want admin then ci", list, err)
	}
	if n, err := ks.CountKeys(ctx); err != nil || n != 2 {
		t.Fatalf("CountKeys = %d, %v; want 2", n, err)
	}

	// The same ID or the same hash twice is a conflict.
	err = ks.CreateKey(ctx, &lambda.Key{ID: admin.ID, Name: "x", Scope: lambda.ScopeRead}, []byte("other"))
	checkErr(t, err, lambda.ECONFLICT, "")
	err = ks.CreateKey(ctx, &lambda.Key{ID: "LKOTHER", Name: "x", Scope: lambda.ScopeRead}, testSecrets().Hash(adminSecret))
	checkErr(t, err, lambda.ECONFLICT, "")
}

func TestKeyStoreRevoke(t *testing.T) {
	ctx := context.Background()
	ks := NewKeyStore(openTestDB(t))
	k, secret := mustCreateKey(t, ks, "ci", lambda.ScopeDeploy, nil, 0)
	first := k.CreatedAt.Add(time.Hour)
	if err := ks.RevokeKey(ctx, k.ID, first); err != nil {
		t.Fatalf("RevokeKey: %v", err)
	}
	// The next lookup sees it: nothing caches keys.
	got, err := ks.FindKeyByHash(ctx, testSecrets().Hash(secret))
	if err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(first) || got.Active(first) {
		t.Fatalf("after revoke: %+v, %v; want revoked at %v", got, err, first)
	}
	if err := ks.RevokeKey(ctx, k.ID, first.Add(time.Hour)); err != nil {
		t.Fatalf("second RevokeKey: %v", err)
	}
	got, _ = ks.FindKey(ctx, k.ID)
	if !got.RevokedAt.Equal(first) {
		t.Fatalf("second revoke moved RevokedAt to %v, want %v", got.RevokedAt, first)
	}
	checkErr(t, ks.RevokeKey(ctx, "LKNOPE", first), lambda.ENOTFOUND, "LKNOPE")
}

// TestKeyStoreKeepsOnlyAHash reads the table raw: no column holds the
// secret, in any encoding a careless change might use.
func TestKeyStoreKeepsOnlyAHash(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	ks := NewKeyStore(db)
	_, secret := mustCreateKey(t, ks, "admin", lambda.ScopeAdmin, []string{"web"}, time.Hour)
	rows, err := db.read.QueryContext(ctx, `SELECT * FROM keys`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	n := 0
	for rows.Next() {
		n++
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		body := secret[len(lambda.KeySecretPrefix):]
		for i, v := range vals {
			var b []byte
			switch v := v.(type) {
			case string:
				b = []byte(v)
			case []byte:
				b = v
			}
			if bytes.Contains(b, []byte(body)) || bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(body[:16]))) {
				t.Fatalf("column %s holds the secret: %q", cols[i], b)
			}
			if cols[i] == "hash" && !bytes.Equal(b, testSecrets().Hash(secret)) {
				t.Fatalf("hash column = %x, want the SHA-256 of the secret", b)
			}
		}
	}
	if n != 1 {
		t.Fatalf("keys table has %d rows, want 1", n)
	}
}

func TestKeyStoreNotOpen(t *testing.T) {
	ks := NewKeyStore(NewDB(t.TempDir() + "/x.db"))
	_, err := ks.FindKeyByHash(context.Background(), []byte("x"))
	checkErr(t, err, lambda.EUNAVAILABLE, "")
}
