package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// A sync job cut by a crash after its event was sent (it records the
// version it was sent to first) keeps its key: the repeat replays the
// failure, whose message names the version and says the outcome is
// unknown; it does not run the function again. One cut before (Version 0)
// frees its key.
func TestRequeueRunningSyncKeyBound(t *testing.T) {
	ctx := context.Background()
	_, _, s := jobFixture(t)
	keyed := func(key string, at time.Duration) *lambda.Job {
		j := testJob("greet", at)
		j.Sync, j.Trigger, j.IdempotencyKey = true, lambda.TriggerInvoke, key
		return j
	}
	sent := mustCreate(t, s, keyed("sent", 0))
	sent.Version = 1 // what the invoker writes once it has a lease
	if err := s.UpdateJob(ctx, sent); err != nil {
		t.Fatal(err)
	}
	waiting := mustCreate(t, s, keyed("waiting", time.Second))

	now := t0.Add(time.Hour)
	if _, err := s.RequeueRunning(ctx, now); err != nil {
		t.Fatal(err)
	}
	got := mustFind(t, s, sent.ID)
	if got.Status != lambda.StatusFailed || got.Version != 1 || got.ErrorType != lambda.EUNAVAILABLE ||
		!strings.Contains(got.ErrorMessage, "during invocation "+sent.ID+" of version 1 of function greet") ||
		!strings.Contains(got.ErrorMessage, "unknown") {
		t.Errorf("sync job cut after its event was sent: %s version %d %s %q; want failed, version 1, unavailable, outcome unknown",
			got.Status, got.Version, got.ErrorType, got.ErrorMessage)
	}
	prior, created, err := s.CreateJob(ctx, lambda.NewJob{Job: keyed("sent", 2*time.Hour)})
	if err != nil || created || prior.ID != sent.ID {
		t.Errorf("repeat of the cut call: created %v, %v; want the first job, not a new run", created, err)
	}
	if got := mustFind(t, s, waiting.ID); got.Version != 0 || !strings.Contains(got.ErrorMessage, "did not run") {
		t.Errorf("sync job cut before its event was sent: %+v", got)
	}
	if _, created, err := s.CreateJob(ctx, lambda.NewJob{Job: keyed("waiting", 2*time.Hour)}); err != nil || !created {
		t.Errorf("repeat of a call that never reached the function: created %v, %v; want a new job", created, err)
	}
}

// A key used with another payload names the job it belongs to, for the
// answer's X-Lambda-Invocation-Id.
func TestCreateJobKeyOwner(t *testing.T) {
	_, _, s := jobFixture(t)
	first := testJob("greet", 0)
	first.IdempotencyKey = "k"
	first = mustCreate(t, s, first)
	other := testJob("greet", time.Second)
	other.IdempotencyKey, other.PayloadHash = "k", hashOf(`{"n":2}`)
	_, _, err := s.CreateJob(context.Background(), lambda.NewJob{Job: other})
	var owner *lambda.KeyOwner
	if lambda.ErrorCode(err) != lambda.EIDEMPOTENCY || !errors.As(err, &owner) || owner.ID != first.ID {
		t.Errorf("another payload: %v, want %s naming %s", err, lambda.EIDEMPOTENCY, first.ID)
	}
}

// Keys are measured in characters and checked as everywhere else.
func TestCreateJobKeyCharacters(t *testing.T) {
	_, _, s := jobFixture(t)
	for _, tt := range []struct {
		key, want string
	}{
		{strings.Repeat("é", lambda.MaxIdempotencyKeyLength), ""},
		{strings.Repeat("é", lambda.MaxIdempotencyKeyLength+1), "257 characters long"},
		{"a\tb", "control character"},
		{"a\xffb", "not valid UTF-8"},
	} {
		j := testJob("greet", 0)
		j.IdempotencyKey = tt.key
		_, _, err := s.CreateJob(context.Background(), lambda.NewJob{Job: j})
		if tt.want == "" && err != nil || tt.want != "" && (lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("key %q: %v, want %q", tt.key, err, tt.want)
		}
	}
}

// A sync job keeps its whole response (up to a sync answer's 6 MB), not
// the 256 KB an async record keeps: its replay must be the answer itself.
func TestUpdateJobSyncResponseWhole(t *testing.T) {
	ctx := context.Background()
	_, _, s := jobFixture(t)
	j := testJob("greet", 0)
	j.Sync, j.Trigger, j.IdempotencyKey = true, lambda.TriggerInvoke, "big"
	j = mustCreate(t, s, j)
	j.Status, j.Version = lambda.StatusSucceeded, 1
	j.Response = []byte(`"` + strings.Repeat("x", lambda.MaxStoredResponseBytes+10) + `"`)
	if err := s.UpdateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if got := mustFind(t, s, j.ID); len(got.Response) != lambda.MaxStoredResponseBytes+12 || got.ResponseTruncated {
		t.Errorf("sync response stored as %d bytes (truncated %v), want all %d", len(got.Response), got.ResponseTruncated, lambda.MaxStoredResponseBytes+12)
	}
}

// BenchmarkSyncKeyedCall is the store's share of one idempotent
// synchronous call made alone (no group commit to share): the create,
// the write of the leased version before the event is sent, and the
// outcome. The version write is what keeps the key bound across a crash.
//
//	go test ./sqlite -run '^$' -bench SyncKeyedCall -benchtime 3s
func BenchmarkSyncKeyedCall(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	var bind, total time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		j := &lambda.Job{Function: "greet", Trigger: lambda.TriggerInvoke, Sync: true, Payload: kilobyte,
			IdempotencyKey: fmt.Sprintf("k%d", i), PayloadHash: hashOf(string(kilobyte))}
		if _, _, err := s.CreateJob(ctx, lambda.NewJob{Job: j}); err != nil {
			b.Fatal(err)
		}
		t := time.Now()
		j.Version = 1
		if err := s.UpdateJob(ctx, j); err != nil {
			b.Fatal(err)
		}
		bind += time.Since(t)
		j.Status, j.Response = lambda.StatusSucceeded, []byte(`{"ok":true}`)
		if err := s.UpdateJob(ctx, j); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(bind.Microseconds())/float64(b.N), "bind-µs/call")
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "store-µs/call")
}
