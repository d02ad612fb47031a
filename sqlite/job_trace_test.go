package sqlite_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/async"
	"github.com/lambdahq/lambda/sqlite"
)

// traceInvoker answers at once and hands over each request it got.
type traceInvoker struct{ got chan *lambda.InvokeRequest }

func (s traceInvoker) Invoke(_ context.Context, req *lambda.InvokeRequest) (*lambda.InvokeResult, error) {
	s.got <- req
	return &lambda.InvokeResult{StatusCode: 200, Payload: []byte(`{}`)}, nil
}

// TestJobTraceSurvivesRestart: a job that a server was running when it died
// runs, after the next start, under its submitter's trace: the store keeps
// the job's traceparent (migration 0011), not only the memory of the
// server that took the submission.
func TestJobTraceSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lambda.db")
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	want, _ := lambda.ParseTraceParent(tp)

	db := sqlite.NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatalf("Open: %v", err)
	}
	jobs := sqlite.NewJobStore(db)
	publish(t, sqlite.NewFunctionStore(db))
	j := &lambda.Job{Function: "noop", Trigger: lambda.TriggerAsync, Payload: []byte(`{}`), TraceParent: tp}
	if _, _, err := jobs.CreateJob(ctx, lambda.NewJob{Job: j}); err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	// The server dies in the job's first attempt.
	if c, err := jobs.ClaimJobs(ctx, "noop", time.Now(), 1); err != nil || len(c) != 1 || c[0].TraceParent != tp {
		t.Fatalf("ClaimJobs: %v, %v", c, err)
	}
	if err := db.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}

	db = sqlite.NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatalf("Open again: %v", err)
	}
	t.Cleanup(func() { db.Close(ctx) })
	jobs = sqlite.NewJobStore(db)
	if f, err := jobs.FindJob(ctx, j.ID); err != nil || f.TraceParent != tp {
		t.Fatalf("FindJob after restart: traceparent %q, %v; want %q", f.TraceParent, err, tp)
	}
	inv := traceInvoker{got: make(chan *lambda.InvokeRequest, 4)}
	q := async.New(jobs, sqlite.NewFunctionStore(db), inv)
	q.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := q.Open(ctx); err != nil {
		t.Fatalf("Open queue: %v", err)
	}
	t.Cleanup(func() { q.Close(ctx) })
	select {
	case req := <-inv.got:
		if req.RequestID != j.ID || req.Attempt != 2 || req.Trace != want {
			t.Errorf("the attempt after the restart: ID %s attempt %d trace %s; want %s, 2, the submitter's %s",
				req.RequestID, req.Attempt, req.Trace.String(), j.ID, tp)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not run after the restart")
	}
}

// publish deploys noop, a function of one version.
func publish(t *testing.T, fns *sqlite.FunctionStore) {
	t.Helper()
	v := &lambda.Version{Function: "noop", Number: 1, Image: "func-noop:v1", ImageID: "sha256:noop", CodeSHA256: "c0de", CreatedAt: time.Now(),
		Config: lambda.Config{Runtime: lambda.RuntimeGo, Protocol: lambda.ProtocolAWS, Port: 8080, MemoryBytes: 128 << 20, Timeout: lambda.Duration(time.Second)}}
	if err := fns.PublishVersion(context.Background(), v); err != nil {
		t.Fatalf("PublishVersion: %v", err)
	}
}
