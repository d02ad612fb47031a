package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/async/asynctest"
	"github.com/lambdahq/lambda/sqlite"
)

// TestJobStoreQueueSuite runs the async queue's shared suite over the
// SQLite job store: the queue on the real store, the store held to the
// contract the queue relies on.
func TestJobStoreQueueSuite(t *testing.T) {
	asynctest.Run(t, func(t *testing.T) (lambda.JobStore, lambda.FunctionStore) {
		db := sqlite.NewDB(filepath.Join(t.TempDir(), "lambda.db"))
		if err := db.Open(context.Background()); err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := db.Close(ctx); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return sqlite.NewJobStore(db), sqlite.NewFunctionStore(db)
	})
}
