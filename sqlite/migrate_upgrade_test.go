package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lambdahq/lambda"
)

// firstMigrations is an FS holding the embedded migrations up to and
// including version upTo: the schema an older build left behind.
func firstMigrations(t *testing.T, upTo int) fstest.MapFS {
	t.Helper()
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, m := range ms {
		if m.version <= upTo {
			fsys["migrations/"+m.name] = &fstest.MapFile{Data: []byte(m.sql)}
		}
	}
	return fsys
}

// TestUpgradeFromFirstSchema fills a database the way the first release
// did (migration 1 only, rows written with that schema's SQL), then upgrades
// it one migration at a time, as successive releases would, and finally
// opens it with this build: every row reads back intact through the stores.
// It iterates over the embedded migrations, so a new one is covered as
// soon as it is added.
func TestUpgradeFromFirstSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := openPool(ctx, path+"?"+writerParams, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := migrate(ctx, raw, firstMigrations(t, 1), t0); err != nil {
		t.Fatalf("migration 1: %v", err)
	}

	// The first schema's rows, as that build wrote them.
	created, next, last := t0, t0.Add(time.Hour), t0.Add(-time.Minute)
	cfg := `{"runtime":"go","protocol":"http","port":8080,"env":{"GREETING":"hi"},"memory_bytes":134217728,"timeout":"1.5s"}`
	inserts := []struct {
		query string
		args  []any
	}{
		{`INSERT INTO functions (name, active_version, created_at, updated_at) VALUES (?, ?, ?, ?)`,
			[]any{"greet", 2, formatTime(created), formatTime(created.Add(time.Second))}},
		{`INSERT INTO versions (function, number, image, image_id, config, code_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			[]any{"greet", 1, "func-greet:v1", "sha256:one", cfg, "c0de1", formatTime(created)}},
		{`INSERT INTO versions (function, number, image, image_id, config, code_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			[]any{"greet", 2, "func-greet:v2", "sha256:two", `{"runtime":"python","protocol":"aws","handler":"handler.handler","port":9000,"memory_bytes":268435456,"timeout":"30s"}`, "c0de2", formatTime(created.Add(time.Second))}},
		{`INSERT INTO schedules (id, function, cron, timezone, data, overlap, next_run_at, last_run_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			[]any{"sch_1", "greet", "*/5 * * * *", "Europe/Paris", []byte(`{"k":1}`), "skip", formatTime(next), formatTime(last), formatTime(created)}},
	}
	for _, in := range inserts {
		if _, err := raw.ExecContext(ctx, in.query, in.args...); err != nil {
			t.Fatalf("%s: %v", in.query, err)
		}
	}

	// Each later release in turn: the rows survive every step.
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[1:] {
		if err := migrate(ctx, raw, firstMigrations(t, m.version), t0); err != nil {
			t.Fatalf("upgrade to %s: %v", m.name, err)
		}
		for table, want := range map[string]int{"functions": 1, "versions": 2, "schedules": 1} {
			var n int
			if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
				t.Fatalf("after %s: %v", m.name, err)
			}
			if n != want {
				t.Fatalf("after %s: %d rows in %s, want %d", m.name, n, table, want)
			}
		}
	}
	raw.Close()

	// This build opens the upgraded file (nothing left to apply) and reads
	// everything back through its stores.
	db := NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatalf("Open the upgraded database: %v", err)
	}
	defer db.Close(ctx)
	var applied int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != len(ms) {
		t.Errorf("%d migrations recorded, want all %d", applied, len(ms))
	}

	fns := NewFunctionStore(db)
	fn, err := fns.FindFunction(ctx, "greet")
	if err != nil {
		t.Fatalf("FindFunction: %v", err)
	}
	if fn.ActiveVersion != 2 || !fn.CreatedAt.Equal(created) || !fn.UpdatedAt.Equal(created.Add(time.Second)) {
		t.Errorf("function = %+v, want active version 2 created %v", fn, created)
	}
	if fn.Scaling != (lambda.Scaling{}) {
		t.Errorf("scaling of an upgraded function = %+v, want the zero value (platform defaults)", fn.Scaling)
	}
	vs, err := fns.ListVersions(ctx, "greet")
	if err != nil {
		t.Fatalf("ListVersions: %v", err)
	}
	if len(vs) != 2 {
		t.Fatalf("%d versions, want 2", len(vs))
	}
	byNumber := map[int]*lambda.Version{vs[0].Number: vs[0], vs[1].Number: vs[1]}
	v1 := byNumber[1]
	if v1 == nil || v1.Image != "func-greet:v1" || v1.ImageID != "sha256:one" || v1.CodeSHA256 != "c0de1" || !v1.CreatedAt.Equal(created) {
		t.Errorf("version 1 = %+v", v1)
	}
	wantCfg := lambda.Config{Runtime: "go", Protocol: "http", Port: 8080, Env: map[string]string{"GREETING": "hi"},
		MemoryBytes: 128 << 20, Timeout: lambda.Duration(1500 * time.Millisecond)}
	if got, _ := json.Marshal(v1.Config); string(got) != mustJSON(t, wantCfg) {
		t.Errorf("version 1 config = %s, want %s", got, mustJSON(t, wantCfg))
	}
	if v2 := byNumber[2]; v2 == nil || v2.Config.Handler != "handler.handler" || v2.Config.Protocol != "aws" || time.Duration(v2.Config.Timeout) != 30*time.Second {
		t.Errorf("version 2 = %+v", v2)
	}

	sc, err := NewScheduleStore(db).FindSchedule(ctx, "sch_1")
	if err != nil {
		t.Fatalf("FindSchedule: %v", err)
	}
	if sc.Function != "greet" || sc.Cron != "*/5 * * * *" || sc.Timezone != "Europe/Paris" || string(sc.Data) != `{"k":1}` ||
		sc.Overlap != "skip" || !sc.NextRunAt.Equal(next) || sc.LastRunAt == nil || !sc.LastRunAt.Equal(last) || !sc.CreatedAt.Equal(created) {
		t.Errorf("schedule = %+v", sc)
	}

	// The upgraded schema still enforces what the first one did: deleting
	// the function cascades to its versions and schedules.
	if err := fns.DeleteFunction(ctx, "greet"); err != nil {
		t.Fatal(err)
	}
	if _, err := NewScheduleStore(db).FindSchedule(ctx, "sch_1"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("schedule after deleting its function: %v, want ENOTFOUND", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMigrateErrorBranches covers the ways migrate refuses to run.
func TestMigrateErrorBranches(t *testing.T) {
	ctx := context.Background()
	sqlFile := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name  string
		setup fstest.MapFS // applied first, when not nil
		fsys  fs.FS
		err   string
	}{
		{"a database with migrations, a build with none",
			fstest.MapFS{"migrations/0001_a.sql": sqlFile("CREATE TABLE a (x INTEGER);")},
			fstest.MapFS{}, "newer than this build"},
		{"a database two versions ahead",
			fstest.MapFS{
				"migrations/0001_a.sql": sqlFile("CREATE TABLE a (x INTEGER);"),
				"migrations/0002_b.sql": sqlFile("CREATE TABLE b (x INTEGER);"),
				"migrations/0003_c.sql": sqlFile("CREATE TABLE c (x INTEGER);"),
			},
			fstest.MapFS{"migrations/0001_a.sql": sqlFile("CREATE TABLE a (x INTEGER);")}, "schema version 3"},
		{"a migration with a bad name", nil,
			fstest.MapFS{"migrations/first.sql": sqlFile("SELECT 1")}, "name must look like"},
		{"the first migration fails", nil,
			fstest.MapFS{"migrations/0001_a.sql": sqlFile("CREATE TABLE a (;")}, "0001_a.sql"},
		{"a migration that records itself", nil,
			// It collides with the record migrate writes after it: the
			// whole transaction, table included, is undone.
			fstest.MapFS{"migrations/0001_a.sql": sqlFile(
				"CREATE TABLE a (x INTEGER); INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'x', 'y');")},
			"0001_a.sql: record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openRaw(t)
			if tt.setup != nil {
				if err := migrate(ctx, db, tt.setup, t0); err != nil {
					t.Fatal(err)
				}
			}
			var before int
			_ = db.QueryRow(`SELECT COUNT(*) FROM sqlite_schema`).Scan(&before)
			err := migrate(ctx, db, tt.fsys, t0)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("migrate = %v, want an error containing %q", err, tt.err)
			}
			var after int
			_ = db.QueryRow(`SELECT COUNT(*) FROM sqlite_schema`).Scan(&after)
			if tt.setup != nil && after != before {
				t.Errorf("the refused migration changed the schema: %d objects, then %d", before, after)
			}
			if tt.setup == nil && tableExists(t, db, "a") {
				t.Error("table a exists after its migration failed")
			}
		})
	}
}

// TestOpenRefusesNewerDatabase is the refusal seen from Open: the file is
// left as it was, and the error says what to do.
func TestOpenRefusesNewerDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newer.db")
	db := NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	ms, _ := loadMigrations(migrationFS)
	future := ms[len(ms)-1].version + 1
	if _, err := db.write.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		future, "9999_future.sql", formatTime(t0)); err != nil {
		t.Fatal(err)
	}
	db.Close(ctx)

	err := NewDB(path).Open(ctx)
	if err == nil || !strings.Contains(err.Error(), "upgrade lambda") {
		t.Fatalf("Open of a database from a newer build = %v, want an error telling to upgrade", err)
	}
	check, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var latest int
	if err := check.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&latest); err != nil || latest != future {
		t.Fatalf("schema version after the refused Open = %d (%v), want %d", latest, err, future)
	}
}
