package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestOpenRejectsBadPaths(t *testing.T) {
	tests := []struct {
		path string
		msg  string
	}{
		{"", "database path is empty"},
		{":memory:", "not supported"},
		{"file:x.db", "not supported"},
		{filepath.Join(t.TempDir(), "a?b.db"), "without '?'"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			checkErr(t, NewDB(tt.path).Open(context.Background()), lambda.EINVALID, tt.msg)
		})
	}
}

func TestOpenCreatesPrivateDirectory(t *testing.T) {
	db := openTestDB(t)
	info, err := os.Stat(filepath.Dir(db.Path))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Fatalf("database directory mode = %o, want 700", perm)
	}
}

func TestPragmas(t *testing.T) {
	db := openTestDB(t)
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"busy_timeout", "5000"},
		{"foreign_keys", "1"},
		{"synchronous", "2"}, // FULL
	}
	for _, tt := range tests {
		t.Run(tt.pragma, func(t *testing.T) {
			var got string
			if err := db.write.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("PRAGMA %s = %s, want %s", tt.pragma, got, tt.want)
			}
		})
	}
	if _, err := db.read.Exec(`DELETE FROM functions`); err == nil {
		t.Fatal("the reader pool accepted a write")
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	fs, ss := NewFunctionStore(db), NewScheduleStore(db)
	mustPublish(t, fs, testVersion("greet", 1))
	s := testSchedule("greet")
	if err := ss.CreateSchedule(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := db.Open(ctx); err == nil {
		t.Fatal("a second Open of an open DB succeeded")
	}
	if err := db.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	checkErr(t, db.Ping(ctx), lambda.EUNAVAILABLE, "not open")
	_, err := fs.FindFunction(ctx, "greet")
	checkErr(t, err, lambda.EUNAVAILABLE, "not open")

	for i := range 2 { // the same handle, then a new one
		if i == 1 {
			db.Close(ctx)
			db = NewDB(db.Path)
			fs, ss = NewFunctionStore(db), NewScheduleStore(db)
		}
		if err := db.Open(ctx); err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		if f, err := fs.FindFunction(ctx, "greet"); err != nil || f.Active == nil || f.Active.ImageID != "sha256:abc" {
			t.Fatalf("reopen %d: FindFunction = %+v, %v", i, f, err)
		}
		if got, err := ss.FindSchedule(ctx, s.ID); err != nil || got.Cron != s.Cron {
			t.Fatalf("reopen %d: FindSchedule = %+v, %v", i, got, err)
		}
		var applied int
		if err := db.read.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil {
			t.Fatal(err)
		}
		ms, _ := loadMigrations(migrationFS)
		if applied != len(ms) {
			t.Fatalf("reopen %d: %d migrations recorded, want %d", i, applied, len(ms))
		}
	}
	db.Close(ctx)
}
