package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestAuditStore(t *testing.T) {
	ctx := context.Background()
	as := NewAuditStore(openTestDB(t))
	entries := []*lambda.AuditEntry{
		{Time: t0, KeyID: "LKA", Addr: "10.0.0.1:5000", Action: "deploy", Function: "web", Result: "ok", Status: 200},
		{Time: t0.Add(time.Minute), KeyID: "LKB", Addr: "10.0.0.2:5000", Action: "keys.create", Result: "ok", Status: 201},
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
