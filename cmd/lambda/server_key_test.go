package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
	"github.com/lambdahq/lambda/sqlite"
)

// withAdminKey gives s a key store of its own (SQLite in a temporary
// directory) holding one admin key, and returns that key's secret: tests
// of commands against a real lambdahttp.Server authenticate as users do.
func withAdminKey(t *testing.T, s *lambdahttp.Server) string {
	t.Helper()
	ctx := context.Background()
	db := sqlite.NewDB(filepath.Join(t.TempDir(), "lambda.db"))
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	s.Keys, s.Audit = sqlite.NewKeyStore(db), sqlite.NewAuditStore(db)
	s.Secrets = lambda.KeySecrets{Master: bytes.Repeat([]byte{5}, lambda.MasterKeyBytes)}
	k, secret, hash, err := s.Secrets.NewKey("test", lambda.ScopeAdmin, nil, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Keys.CreateKey(ctx, k, hash); err != nil {
		t.Fatal(err)
	}
	return secret
}
