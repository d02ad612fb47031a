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

// A lookup by ID, found or not, is a search of invocation_ids' key: it
// never reads the chunks' text (which made each unknown ID a scan of all
// stored records).
func TestFindInvocationUsesIndex(t *testing.T) {
	db, _, _ := jobFixture(t)
	s := NewInvocationStore(db)
	mustSave(t, s, testRecord("greet", 1, 0))
	rows, err := db.read.Query(`EXPLAIN QUERY PLAN `+findInvocation, "nosuch")
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
	if !strings.Contains(strings.Join(plan, "\n"), "SEARCH i USING PRIMARY KEY (id=?)") {
		t.Errorf("plan does not search invocation_ids by its key: %q", plan)
	}
}

// invocationIDs is the content of invocation_ids, "id@function" sorted.
func invocationIDs(t *testing.T, db *DB) string {
	t.Helper()
	rows, err := db.read.Query(`SELECT i.id, COALESCE(c.function, '?') FROM invocation_ids AS i LEFT JOIN invocation_chunks AS c ON c.seq = i.chunk ORDER BY i.id`)
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

// The IDs follow their chunks: a pruned chunk's and a deleted function's
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
	if got, want := invocationIDs(t, db), "greet-1@greet,greet-2@greet,greet-3@greet,other-0@other"; got != want {
		t.Errorf("invocation_ids after a prune: %s, want %s", got, want)
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
	if got, want := invocationIDs(t, db), "greet-4@greet,greet-5@greet,greet-6@greet,greet-7@greet,other-0@other"; got != want {
		t.Errorf("invocation_ids after a big batch: %s, want %s", got, want)
	}
	if err := fs.DeleteFunction(ctx, "greet"); err != nil {
		t.Fatal(err)
	}
	if got, want := invocationIDs(t, db), "other-0@other"; got != want {
		t.Errorf("invocation_ids after greet's deletion: %s, want %s", got, want)
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
	if got := invocationIDs(t, db); got != "greet-1@greet,greet-2@greet" {
		t.Errorf("invocation_ids: %s", got)
	}
}

// Migration 10 names the records of chunks stored before it.
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
	if err := db.read.QueryRow(`SELECT group_concat(id || '@' || chunk, ',' ORDER BY id) FROM invocation_ids`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "a@1,b@2" {
		t.Errorf("invocation_ids after migration 10: %s, want a@1,b@2", got)
	}
	s := NewInvocationStore(db)
	if j, err := s.FindInvocation(ctx, "b"); err != nil || j.Duration != 5 {
		t.Errorf("FindInvocation(b): %+v, %v", j, err)
	}
}
