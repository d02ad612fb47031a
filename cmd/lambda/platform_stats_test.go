package main

import (
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/lambdahq/lambda"
)

// The stats recorder hears of every deletion from the engine, so that a
// function pruned by a project deploy is forgotten as one deleted by
// lambda delete is; the API's function service is the engine itself, no
// wrapper only the API's deletions would go through.
func TestStatsHearDeletionsFromTheEngine(t *testing.T) {
	p, err := newPlatform(platformOptions{dataDir: t.TempDir(), addr: "127.0.0.1:0", domain: "localhost",
		logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(p.eng.DeleteObservers, lambda.DeleteObserver(p.stats)) {
		t.Error("the stats recorder is not a DeleteObserver of the engine")
	}
	if p.srv.Functions != lambda.FunctionService(p.eng) {
		t.Errorf("the API deletes through %T, not the engine", p.srv.Functions)
	}
}
