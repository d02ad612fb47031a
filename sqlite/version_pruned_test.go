package sqlite

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/lambdahq/lambda"
)

func TestMarkVersionPruned(t *testing.T) {
	ctx := context.Background()
	fs := NewFunctionStore(openTestDB(t))
	for n := 1; n <= 3; n++ {
		mustPublish(t, fs, testVersion("greet", n))
	}

	tests := []struct {
		name   string
		fn     string
		number int
		code   string
		msg    string
	}{
		{"old version", "greet", 1, "", ""},
		{"again keeps the first time", "greet", 1, "", ""},
		{"another version", "greet", 2, "", ""},
		{"missing version", "greet", 9, lambda.ENOTFOUND, `version 9 of function "greet" not found`},
		{"missing function", "nope", 1, lambda.ENOTFOUND, `function "nope" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, fs.MarkVersionPruned(ctx, tt.fn, tt.number), tt.code, tt.msg)
		})
	}

	vs, err := fs.ListVersions(ctx, "greet")
	if err != nil {
		t.Fatal(err)
	}
	// The clock ticks once a call: the first mark (v1) read t0+3s after
	// three publishes, the repeated one t0+4s, v2's t0+5s.
	want := map[int]string{1: t0.Add(3e9).String(), 2: t0.Add(5e9).String(), 3: "<nil>"}
	for _, v := range vs {
		got := "<nil>"
		if v.PrunedAt != nil {
			got = v.PrunedAt.String()
		}
		if got != want[v.Number] {
			t.Errorf("version %d pruned at %s, want %s", v.Number, got, want[v.Number])
		}
	}
	// The active version is read through another query.
	f, err := fs.FindFunction(ctx, "greet")
	if err != nil || f.Active.PrunedAt != nil {
		t.Fatalf("active version %+v, %v: want it not pruned", f.Active, err)
	}
	v, err := fs.FindVersion(ctx, "greet", 2)
	if err != nil || v.PrunedAt == nil {
		t.Fatalf("FindVersion(2) = %+v, %v: want it pruned", v, err)
	}
}

// TestMigratePrunedKeepsVersions upgrades a database written before
// versions could be pruned: its versions stay, none of them pruned.
func TestMigratePrunedKeepsVersions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lambda.db")
	old := fstest.MapFS{}
	for _, name := range []string{"0001_init.sql", "0002_scaling.sql"} {
		b, err := fs.ReadFile(migrationFS, "migrations/"+name)
		if err != nil {
			t.Fatal(err)
		}
		old["migrations/"+name] = &fstest.MapFile{Data: b}
	}
	pool, err := openPool(ctx, path+"?"+writerParams, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, pool, old, t0); err != nil {
		t.Fatal(err)
	}
	_, err = pool.ExecContext(ctx, `INSERT INTO functions (name, active_version, created_at, updated_at) VALUES ('greet', 1, ?1, ?1);
		INSERT INTO versions (function, number, image, image_id, config, code_sha256, created_at)
		VALUES ('greet', 1, 'func-greet:v1', 'sha256:abc', '{}', 'c0de', ?1)`, formatTime(t0))
	pool.Close()
	if err != nil {
		t.Fatal(err)
	}

	db := NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	store := NewFunctionStore(db)
	vs, err := store.ListVersions(ctx, "greet")
	if err != nil || len(vs) != 1 || vs[0].PrunedAt != nil {
		t.Fatalf("versions after the upgrade: %+v, %v; want version 1, not pruned", vs, err)
	}
	if err := store.MarkVersionPruned(ctx, "greet", 1); err != nil {
		t.Fatal(err)
	}
}
