package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name     string
		fs       fstest.MapFS
		versions []int
		err      string
	}{
		{"ordered by version", fstest.MapFS{
			"migrations/0010_later.sql": file("SELECT 1"),
			"migrations/0002_next.sql":  file("SELECT 1"),
			"migrations/0001_init.sql":  file("SELECT 1"),
			"migrations/README":         file("not sql"),
		}, []int{1, 2, 10}, ""},
		{"empty", fstest.MapFS{}, nil, ""},
		{"bad name", fstest.MapFS{"migrations/init.sql": file("")}, nil, `"init.sql": name must look like`},
		{"zero version", fstest.MapFS{"migrations/0000_x.sql": file("")}, nil, "positive number"},
		{"duplicate", fstest.MapFS{
			"migrations/0001_a.sql": file(""),
			"migrations/1_b.sql":    file(""),
		}, nil, "share version 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := loadMigrations(tt.fs)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.version)
			}
			if len(got) != len(tt.versions) {
				t.Fatalf("versions = %v, want %v", got, tt.versions)
			}
			for i := range got {
				if got[i] != tt.versions[i] {
					t.Fatalf("versions = %v, want %v", got, tt.versions)
				}
			}
		})
	}
}

// TestEmbeddedMigrations guards against gaps when migrations are added.
func TestEmbeddedMigrations(t *testing.T) {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no embedded migrations")
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Fatalf("migration %s has version %d, want %d: versions must run 1, 2, 3 without gaps", m.name, m.version, i+1)
		}
	}
}

func openRaw(t *testing.T) *sql.DB {
	t.Helper()
	db, err := openPool(context.Background(), filepath.Join(t.TempDir(), "m.db")+"?"+writerParams, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func tableExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func TestMigrateFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	db := openRaw(t)
	fsys := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		// The first statement succeeds; the transaction must undo it.
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER); CREATE TABLE c (;")},
	}
	err := migrate(ctx, db, fsys, time.Now())
	if err == nil || !strings.Contains(err.Error(), "0002_b.sql") {
		t.Fatalf("migrate = %v, want an error naming 0002_b.sql", err)
	}
	if !tableExists(t, db, "a") || tableExists(t, db, "b") {
		t.Fatalf("after a failed 0002: table a exists = %v (want true), b exists = %v (want false)",
			tableExists(t, db, "a"), tableExists(t, db, "b"))
	}
	var recorded int
	if err := db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != 1 {
		t.Fatalf("%d migrations recorded, want 1", recorded)
	}

	// Fixed, the migration applies on the next run and 0001 is not re-run
	// (it would fail: table a exists).
	fsys["migrations/0002_b.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE b (x INTEGER);")}
	for range 2 {
		if err := migrate(ctx, db, fsys, time.Now()); err != nil {
			t.Fatalf("migrate after fix: %v", err)
		}
	}
	if !tableExists(t, db, "b") {
		t.Fatal("table b missing after the fixed migration")
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	db := openRaw(t)
	newer := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER);")},
	}
	if err := migrate(ctx, db, newer, time.Now()); err != nil {
		t.Fatal(err)
	}
	older := fstest.MapFS{"migrations/0001_a.sql": newer["migrations/0001_a.sql"]}
	err := migrate(ctx, db, older, time.Now())
	if err == nil || !strings.Contains(err.Error(), "newer than this build") {
		t.Fatalf("migrate with an older build = %v, want a 'newer than this build' error", err)
	}
}
