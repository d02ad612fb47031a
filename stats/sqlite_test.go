package stats_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/sqlite"
	"github.com/lambdahq/lambda/stats"
)

// A clean restart keeps the history: Close writes the current minute to
// SQLite, and a recorder on the reopened database answers the same.
func TestRestartKeepsHistory(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lambda.db")
	open := func() (*sqlite.DB, *stats.Recorder) {
		db := sqlite.NewDB(path)
		if err := db.Open(ctx); err != nil {
			t.Fatal(err)
		}
		r := stats.New(sqlite.NewStatsStore(db))
		r.Functions = sqlite.NewFunctionStore(db)
		if err := r.Open(ctx); err != nil {
			t.Fatal(err)
		}
		return db, r
	}
	db, r := open()
	v := &lambda.Version{Function: "greet", Number: 1, Image: "func-greet:v1", ImageID: "sha256:abc", CodeSHA256: "x",
		Config: lambda.Config{Runtime: lambda.RuntimeGo, Protocol: lambda.ProtocolHTTP, Port: 8080}, CreatedAt: time.Now()}
	if err := sqlite.NewFunctionStore(db).PublishVersion(ctx, v); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 20 {
		inv := &lambda.Invocation{ID: "x", Function: "greet", Version: 1, Start: now, Duration: time.Duration(i+1) * time.Millisecond, Status: lambda.StatusSucceeded}
		if i%5 == 0 {
			inv.Status, inv.ErrorType = lambda.StatusFailed, lambda.EFUNCTION
		}
		r.ObserveInvocation(inv)
	}
	w, _ := lambda.ParseStatsWindow("1h")
	before, err := r.FunctionStats(ctx, "greet", w)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close(ctx)

	db, r = open()
	defer db.Close(ctx)
	defer r.Close(ctx)
	after, err := r.FunctionStats(ctx, "greet", w)
	if err != nil {
		t.Fatal(err)
	}
	if before.Total.Invocations != 20 || before.Total.Errors != 4 || after.Total != before.Total {
		t.Errorf("before the restart %+v, after %+v; want 20 invocations, 4 errors, the same after", before.Total, after.Total)
	}

	// Deleting the function deletes its history.
	if err := sqlite.NewFunctionStore(db).DeleteFunction(ctx, "greet"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.FunctionStats(ctx, "greet", w); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("a deleted function's stats: %v, want ENOTFOUND", err)
	}
	if rows, _ := sqlite.NewStatsStore(db).ListStats(ctx, "greet", now.Add(-time.Hour), now.Add(time.Hour)); len(rows) != 0 {
		t.Errorf("a deleted function keeps %d minutes", len(rows))
	}
}
