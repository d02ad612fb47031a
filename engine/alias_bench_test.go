package engine_test

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
	"github.com/lambdahq/lambda/engine"
	"github.com/lambdahq/lambda/sqlite"
)

// BenchmarkAcquireAlias is the cost of taking and releasing a lease of a
// warm instance: live without a split (as before aliases), live with a
// 10% canary, an alias by name and a version by number.
func BenchmarkAcquireAlias(b *testing.B) {
	ctx := context.Background()
	db := sqlite.NewDB(filepath.Join(b.TempDir(), "lambda.db"))
	if err := db.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer db.Close(ctx)
	eng := engine.New(sqlite.NewFunctionStore(db), drivertest.NewFake(), &fakeBuilder{}, func(r io.Reader, dest string) (string, error) {
		_, err := io.Copy(io.Discard, r)
		return "c0de", err
	})
	if err := eng.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer eng.Close(ctx)
	for i := range 2 {
		if _, err := eng.Deploy(ctx, lambda.DeployRequest{Name: "greet", Code: strings.NewReader("code"), Force: i > 0}); err != nil {
			b.Fatal(err)
		}
	}
	run := func(name, q string) {
		b.Run(name, func(b *testing.B) {
			qctx := lambda.WithQualifier(ctx, q)
			for b.Loop() {
				lease, err := eng.Acquire(qctx, "greet")
				if err != nil {
					b.Fatal(err)
				}
				lease.Release(false)
			}
		})
	}
	run("live", "")
	run("version", "1")
	if _, err := eng.SetAlias(ctx, &lambda.Alias{Function: "greet", Name: "beta", Version: 1}); err != nil {
		b.Fatal(err)
	}
	run("alias", "beta")
	if _, err := eng.SetAlias(ctx, &lambda.Alias{Function: "greet", Name: "live", Version: 2, AdditionalVersion: 1, Weight: 0.1}); err != nil {
		b.Fatal(err)
	}
	run("live-split", "")
}
