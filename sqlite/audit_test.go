package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestAuditStore(t *testing.T) {
	ctx := context.Background()
	as := NewAuditStore(openTestDB(t))
	entries := []*lambda.AuditEntry{
		{Time: t0, KeyID: "LKA", Addr: "10.0.0.1:5000", Action: "deploy", Function: "web", Result: "ok", Status: 200},
		{Time: t0.Add(time.Minute), KeyID: "LKB", Addr: "10.0.0.2:5000", Action: "keys.create", Target: "LKC", TargetName: "ci deploys", Result: "ok", Status: 201},
		{Time: t0.Add(2 * time.Minute), KeyID: "LKA", Addr: "10.0.0.1:5001", Action: "delete", Function: "web", Result: lambda.ENOTFOUND, Status: 404},
	}
	// Recorded out of order: the listing is by time.
	for _, i := range []int{2, 0, 1} {
		if err := as.RecordAudit(ctx, entries[i]); err != nil {
			t.Fatalf("RecordAudit: %v", err)
		}
	}
	tests := []struct {
		name  string
		since time.Time
		want  []*lambda.AuditEntry
	}{
		{"all", time.Time{}, entries},
		{"at since is included", t0.Add(time.Minute), entries[1:]},
		{"after the last", t0.Add(time.Hour), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := as.ListAudit(ctx, tt.since)
			if err != nil {
				t.Fatalf("ListAudit: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("ListAudit = %d entries, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if *got[i] != *tt.want[i] {
					t.Fatalf("entry %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
	noTime := &lambda.AuditEntry{KeyID: "LKA", Action: "rollback", Result: "ok", Status: 200}
	if err := as.RecordAudit(ctx, noTime); err != nil || noTime.Time.IsZero() {
		t.Fatalf("RecordAudit without a time: %v, time %v", err, noTime.Time)
	}
	checkErr(t, as.RecordAudit(ctx, &lambda.AuditEntry{}), lambda.EINVALID, "action")
}

// An entry recorded before migration 16 reads back with no target.
func TestAuditBeforeTargets(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := openPool(ctx, path+"?"+writerParams, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, raw, firstMigrations(t, 15), t0); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `INSERT INTO audit (time, key_id, addr, action, function, result, status) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		formatTime(t0), "LKA", "10.0.0.1", "keys.revoke", "", "ok", 200); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db := NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close(ctx)
	got, err := NewAuditStore(db).ListAudit(ctx, time.Time{})
	want := lambda.AuditEntry{Time: t0, KeyID: "LKA", Addr: "10.0.0.1", Action: "keys.revoke", Result: "ok", Status: 200}
	if err != nil || len(got) != 1 || *got[0] != want {
		t.Fatalf("ListAudit = %v, %v; want %+v", got, err, want)
	}
}
