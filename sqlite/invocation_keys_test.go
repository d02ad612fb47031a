package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// A lookup by ID, found or not, is a search of invocation_keys' key: it
// reads the text of the chunks under its ID's key only (a scan of every
// chunk's text made each unknown ID read all stored records).
func TestFindInvocationUsesIndex(t *testing.T) {
	db, _, _ := jobFixture(t)
	s := NewInvocationStore(db)
	mustSave(t, s, testRecord("greet", 1, 0))
	rows, err := db.read.Query(`EXPLAIN QUERY PLAN `+findInvocation, "nosuch", `"id":"nosuch"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, step := range plan {
		if strings.HasPrefix(step, "SCAN") {
			t.Errorf("plan scans a table: %q (whole plan %q)", step, plan)
		}
	}
	if !strings.Contains(strings.Join(plan, "\n"), "SEARCH k USING PRIMARY KEY (key=?)") {
		t.Errorf("plan does not search invocation_keys by its key: %q", plan)
	}
	for _, step := range plan {
		if strings.Contains(step, "TEMP B-TREE") {
			t.Errorf("plan sorts the chunks instead of reading the key's newest first: %q (whole plan %q)", step, plan)
		}
	}
}

// invocationKeys is the content of invocation_keys, "key@function" sorted.
func invocationKeys(t *testing.T, db *DB) string {
	t.Helper()
	rows, err := db.read.Query(`SELECT k.key, COALESCE(c.function, '?') FROM invocation_keys AS k LEFT JOIN invocation_chunks AS c ON c.seq = k.chunk ORDER BY k.key, k.chunk`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, fn string
		if err := rows.Scan(&id, &fn); err != nil {
			t.Fatal(err)
		}
		out = append(out, id+"@"+fn)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, ",")
}

// The keys follow their chunks (the test's IDs are not time-ordered
// UUIDs: each is its own key): a pruned chunk's and a deleted function's
// are deleted with them, and a record past the newest Keep (in a chunk
// still stored) is not found, as it is not listed.
func TestInvocationIDsFollowChunks(t *testing.T) {
	ctx := context.Background()
	db, fs, _ := jobFixture(t)
	s := NewInvocationStore(db)
	s.Keep = 3
	mustSave(t, s, testRecord("other", 0, 0))
	for n := range 4 {
		mustSave(t, s, testRecord("greet", n, time.Duration(n)*time.Second))
	}
	// Each record is its own chunk: greet-0's was pruned.
	if got, want := invocationKeys(t, db), "greet-1@greet,greet-2@greet,greet-3@greet,other-0@other"; got != want {
		t.Errorf("invocation_keys after a prune: %s, want %s", got, want)
	}
	// A batch bigger than Keep: its chunk stays whole, its oldest are not listed.
	mustSave(t, s, testRecord("greet", 4, 4*time.Second), testRecord("greet", 5, 5*time.Second),
		testRecord("greet", 6, 6*time.Second), testRecord("greet", 7, 7*time.Second))
	listed := listIDs(t, s, lambda.JobFilter{Function: "greet"})
	for n := range 8 {
		id := fmt.Sprintf("greet-%d", n)
		_, err := s.FindInvocation(ctx, id)
		want := n >= 5
		if got := err == nil; got != want {
			t.Errorf("FindInvocation(%s): %v, want found %v (listed %v)", id, err, want, listed)
		}
		if err != nil && lambda.ErrorCode(err) != lambda.ENOTFOUND {
			t.Errorf("FindInvocation(%s): %v, want ENOTFOUND", id, err)
		}
	}
	if got, want := invocationKeys(t, db), "greet-4@greet,greet-5@greet,greet-6@greet,greet-7@greet,other-0@other"; got != want {
		t.Errorf("invocation_keys after a big batch: %s, want %s", got, want)
	}
	if err := fs.DeleteFunction(ctx, "greet"); err != nil {
		t.Fatal(err)
	}
	if got, want := invocationKeys(t, db), "other-0@other"; got != want {
		t.Errorf("invocation_keys after greet's deletion: %s, want %s", got, want)
	}
	if _, err := s.FindInvocation(ctx, "greet-7"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("a deleted function's record: %v, want ENOTFOUND", err)
	}
	if _, err := s.FindInvocation(ctx, "other-0"); err != nil {
		t.Errorf("the other function's record: %v", err)
	}
}

// A record saved again (a retried batch) is found as its newest copy,
// and stays found when its first chunk is pruned.
func TestInvocationIDSavedTwice(t *testing.T) {
	db, _, _ := jobFixture(t)
	s := NewInvocationStore(db)
	s.Keep = 2
	first := testRecord("greet", 1, 0)
	mustSave(t, s, first)
	again := testRecord("greet", 1, 0)
	again.Duration = time.Second
	mustSave(t, s, again)
	mustSave(t, s, testRecord("greet", 2, time.Second))
	got, err := s.FindInvocation(context.Background(), "greet-1")
	if err != nil || got.Duration != lambda.Duration(time.Second) {
		t.Fatalf("FindInvocation: %+v, %v; want the second copy", got, err)
	}
	if got := invocationKeys(t, db); got != "greet-1@greet,greet-2@greet" {
		t.Errorf("invocation_keys: %s", got)
	}
}

// Migrations 10 and 14 name the records of chunks stored before them.
func TestMigrationIndexesStoredChunks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := openPool(ctx, path+"?"+writerParams, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, raw, firstMigrations(t, 9), t0); err != nil {
		t.Fatalf("migrations 1-9: %v", err)
	}
	for _, q := range []string{
		`INSERT INTO functions (name, active_version, created_at, updated_at) VALUES ('greet', 1, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')`,
		`INSERT INTO invocation_chunks (function, n, first_start, records) VALUES ('greet', 2, '2025-01-01T00:00:00Z', '[{"id":"a","function":"greet"},{"id":"b","function":"greet"}]')`,
		`INSERT INTO invocation_chunks (function, n, first_start, records) VALUES ('greet', 1, '2025-01-01T00:00:01Z', '[{"id":"b","function":"greet","duration":5}]')`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()
	db := NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	var got string
	if err := db.read.QueryRow(`SELECT group_concat(key || '@' || chunk, ',' ORDER BY key) FROM invocation_keys`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "a@1,b@2" {
		t.Errorf("invocation_keys after migrations 10 and 14: %s, want a@1,b@2", got)
	}
	s := NewInvocationStore(db)
	if j, err := s.FindInvocation(ctx, "b"); err != nil || j.Duration != 5 {
		t.Errorf("FindInvocation(b): %+v, %v", j, err)
	}
}

func TestIDKey(t *testing.T) {
	v7 := lambda.NewRequestID()
	tests := []struct{ id, want string }{
		{"0193f1a2-b3c4-7d5e-8f60-718293a4b5c6", "0193f1a2-b3c"},
		{"0193f1a2-b3c4-7d5e-bf60-718293a4b5c6", "0193f1a2-b3c"},
		{v7, v7[:12]},
		{"0193F1A2-B3C4-7D5E-8F60-718293A4B5C6", "0193F1A2-B3C4-7D5E-8F60-718293A4B5C6"}, // uppercase
		{"0193f1a2-b3c4-4d5e-8f60-718293a4b5c6", "0193f1a2-b3c4-4d5e-8f60-718293a4b5c6"}, // version 4
		{"0193f1a2-b3c4-7d5e-cf60-718293a4b5c6", "0193f1a2-b3c4-7d5e-cf60-718293a4b5c6"}, // variant
		{"0193f1a2-b3c4-7d5e-8f60-718293a4b5c", "0193f1a2-b3c4-7d5e-8f60-718293a4b5c"},   // short
		{"0193f1a2-b3c4-7d5e-8f60-718293a4b5c6x", "0193f1a2-b3c4-7d5e-8f60-718293a4b5c6x"},
		{"0193f1a2b-3c4-7d5e-8f60-718293a4b5c6", "0193f1a2b-3c4-7d5e-8f60-718293a4b5c6"}, // a dash moved
		{"0193f1a2-b3c4-7d5e-8f60-718293a4b5cg", "0193f1a2-b3c4-7d5e-8f60-718293a4b5cg"},
		{"0193f1a2-b3c", "0193f1a2-b3c"}, // a key as an ID: its own key, found among the others
		{"greet-1", "greet-1"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := idKey(tt.id); got != tt.want {
			t.Errorf("idKey(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

// The platform's IDs of a batch share a few keys, every record is
// found by its ID, and an ID of the same key that was not stored, or one
// stored under another function, is told apart by the chunk's text. An
// ID that is itself a key (not a UUID) is found beside them.
func TestInvocationKeysOfRequestIDs(t *testing.T) {
	ctx := context.Background()
	db, _, _ := jobFixture(t)
	s := NewInvocationStore(db)
	var greet, other []*lambda.Invocation
	for n := range 256 {
		r := testRecord("greet", n, time.Duration(n)*time.Millisecond)
		r.ID = lambda.NewRequestID()
		greet = append(greet, r)
	}
	for n := range 3 {
		r := testRecord("other", n, 0)
		r.ID = lambda.NewRequestID()
		other = append(other, r)
	}
	odd := testRecord("other", 9, 0)
	odd.ID = greet[0].ID[:idKeyLen] // a client's ID that looks like a key
	other = append(other, odd)
	mustSave(t, s, greet...)
	mustSave(t, s, other...)
	var keys int
	if err := db.read.QueryRow(`SELECT COUNT(*) FROM invocation_keys AS k JOIN invocation_chunks AS c ON c.seq = k.chunk WHERE c.function = 'greet'`).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	distinct := map[string]bool{}
	for _, r := range greet {
		distinct[idKey(r.ID)] = true
	}
	if keys != len(distinct) || keys >= len(greet) {
		t.Errorf("a batch of %d request IDs has %d keys, want %d (its distinct keys), fewer than its records", len(greet), keys, len(distinct))
	}
	for _, r := range append(greet, other...) {
		j, err := s.FindInvocation(ctx, r.ID)
		if err != nil {
			t.Fatalf("FindInvocation(%s): %v", r.ID, err)
		}
		if j.ID != r.ID || j.Function != r.Function {
			t.Fatalf("FindInvocation(%s) = %s of %s, want %s of %s", r.ID, j.ID, j.Function, r.ID, r.Function)
		}
	}
	// Same key (the first 11 characters), not stored.
	missing := greet[0].ID[:idKeyLen] + "0-7000-8000-000000000000"
	if !isUUIDv7(missing) || idKey(missing) != idKey(greet[0].ID) {
		t.Fatalf("test ID %q is not a version 7 UUID of greet's key", missing)
	}
	if _, err := s.FindInvocation(ctx, missing); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("FindInvocation(%s) of a stored key: %v, want ENOTFOUND", missing, err)
	}
	// A prefix of a stored ID is not that ID.
	if _, err := s.FindInvocation(ctx, greet[1].ID[:30]); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("FindInvocation(a prefix): %v, want ENOTFOUND", err)
	}
}

// Migration 14 computes the keys of the records stored before it as
// idKey does, so that every one of them is found afterwards.
func TestMigrationKeysStoredIDs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := openPool(ctx, path+"?"+writerParams, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, raw, firstMigrations(t, 13), t0); err != nil {
		t.Fatalf("migrations 1-13: %v", err)
	}
	ids := []string{
		lambda.NewRequestID(), lambda.NewRequestID(), "0193f1a2-b3c4-7d5e-bf60-718293a4b5c6",
		"0193F1A2-B3C4-7D5E-8F60-718293A4B5C6", "0193f1a2-b3c4-4d5e-8f60-718293a4b5c6",
		"0193f1a2-b3c4-7d5e-cf60-718293a4b5c6", "0193f1a2-b3c4-7d5e-8f60-718293a4b5c", "0193f1a2b-3c4-7d5e-8f60-718293a4b5c6",
		"0193f1a2-b3c4-7d5e-8f60-718293a4b5cg", "0193f1a2-b3", "greet-1", "a\"<b",
	}
	if _, err := raw.ExecContext(ctx, `INSERT INTO functions (name, active_version, created_at, updated_at) VALUES ('greet', 1, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		rec := testRecord("greet", 0, 0)
		rec.ID = id
		body, err := appendInvocations(nil, []*lambda.Invocation{rec})
		if err != nil {
			t.Fatal(err)
		}
		res, err := raw.ExecContext(ctx, `INSERT INTO invocation_chunks (function, n, first_start, records) VALUES ('greet', 1, '2025-01-01T00:00:00Z', ?)`, string(body))
		if err != nil {
			t.Fatal(err)
		}
		seq, _ := res.LastInsertId()
		if _, err := raw.ExecContext(ctx, `INSERT INTO invocation_ids (id, chunk) VALUES (?, ?)`, id, seq); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	db := NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	var tables int
	if err := db.read.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE name IN ('invocation_ids', 'invocation_chunks_ids')`).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("invocation_ids and its trigger left after migration 14: %d, %v", tables, err)
	}
	for i, id := range ids {
		var key string
		if err := db.read.QueryRow(`SELECT key FROM invocation_keys WHERE chunk = ?`, i+1).Scan(&key); err != nil {
			t.Fatalf("key of %q: %v", id, err)
		}
		if key != idKey(id) {
			t.Errorf("migration 14 keyed %q as %q, idKey as %q", id, key, idKey(id))
		}
	}
	s := NewInvocationStore(db)
	for _, id := range ids {
		if j, err := s.FindInvocation(ctx, id); err != nil || j.ID != id {
			t.Errorf("FindInvocation(%q) after migration 14: %+v, %v", id, j, err)
		}
	}
}
