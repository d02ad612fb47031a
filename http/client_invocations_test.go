package http

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// newAsyncClient is a Client of a real server over a fakeAsync.
func newAsyncClient(t *testing.T) (*Client, *fakeAsync) {
	t.Helper()
	s, async := newAsyncServer(t)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return NewClient(srv.URL), async
}

func TestClientInvocations(t *testing.T) {
	c, async := newAsyncClient(t)
	ctx := context.Background()
	old := async.add("greet", lambda.StatusDead)
	mid := async.add("greet", lambda.StatusSucceeded)
	last := async.add("greet", lambda.StatusDead)

	got, err := c.GetInvocation(ctx, old.ID)
	if err != nil || got.ID != old.ID || string(got.Payload) != `{"n":1}` || got.Status != lambda.StatusDead {
		t.Fatalf("GetInvocation: %+v, %v", got, err)
	}
	if _, err := c.GetInvocation(ctx, "nosuch"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("GetInvocation(nosuch): %v", err)
	}

	list, err := c.ListInvocations(ctx, "greet", lambda.JobFilter{Status: lambda.StatusDead})
	if err != nil || len(list) != 2 || list[0].ID != last.ID || list[1].ID != old.ID {
		t.Fatalf("ListInvocations(dead): %v, %v", list, err)
	}
	// Paging by before, and since.
	list, err = c.ListInvocations(ctx, "greet", lambda.JobFilter{Limit: 1, Before: last.CreatedAt})
	if err != nil || len(list) != 1 || list[0].ID != mid.ID {
		t.Errorf("ListInvocations(before): %v, %v", list, err)
	}
	// Paging by cursor.
	page, err := c.ListInvocationsPage(ctx, "greet", lambda.JobFilter{Limit: 2})
	if err != nil || len(page.Invocations) != 2 || page.NextCursor == "" {
		t.Fatalf("ListInvocationsPage: %+v, %v", page, err)
	}
	after, err := lambda.ParseJobCursor(page.NextCursor)
	if err != nil {
		t.Fatalf("ParseJobCursor(%q): %v", page.NextCursor, err)
	}
	page, err = c.ListInvocationsPage(ctx, "greet", lambda.JobFilter{Limit: 2, After: after})
	if err != nil || len(page.Invocations) != 1 || page.Invocations[0].ID != old.ID || page.NextCursor != "" {
		t.Errorf("ListInvocationsPage(after): %+v, %v", page, err)
	}
	list, err = c.ListInvocations(ctx, "greet", lambda.JobFilter{Since: mid.CreatedAt.Add(time.Millisecond)})
	if err != nil || len(list) != 1 || list[0].ID != last.ID {
		t.Errorf("ListInvocations(since): %v, %v", list, err)
	}
	if _, err := c.ListInvocations(ctx, "greet", lambda.JobFilter{Status: "done"}); lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), "succeeded") {
		t.Errorf("ListInvocations(bad status): %v", err)
	}

	redriven, err := c.Redrive(ctx, "greet", []string{old.ID}, false)
	if err != nil || len(redriven) != 1 || redriven[0].ID != old.ID || redriven[0].Status != lambda.StatusQueued {
		t.Fatalf("Redrive(id): %v, %v", redriven, err)
	}
	if _, err := c.Redrive(ctx, "greet", []string{mid.ID}, false); lambda.ErrorCode(err) != lambda.ECONFLICT {
		t.Errorf("Redrive(succeeded): %v", err)
	}
	redriven, err = c.Redrive(ctx, "greet", nil, true)
	if err != nil || len(redriven) != 1 || redriven[0].ID != last.ID {
		t.Errorf("Redrive(all): %v, %v", redriven, err)
	}
	if redriven, err = c.Redrive(ctx, "greet", nil, true); err != nil || len(redriven) != 0 {
		t.Errorf("Redrive(all) with none dead: %v, %v", redriven, err)
	}
}

func TestClientSubmitInvocation(t *testing.T) {
	c, async := newAsyncClient(t)
	ctx := context.Background()
	opts := InvokeOptions{Timeout: 2 * time.Second, IdempotencyKey: "k-1", LogTail: true}
	job, replay, err := c.SubmitInvocation(ctx, "greet", strings.NewReader(`{"a":1}`), opts)
	if err != nil || replay || job.ID == "" || job.Status != lambda.StatusQueued {
		t.Fatalf("SubmitInvocation: %+v, %v, %v", job, replay, err)
	}
	got := async.lastSubmitted()
	if string(got.Payload) != `{"a":1}` || got.Timeout != 2*time.Second || got.IdempotencyKey != "k-1" || got.Trigger != lambda.TriggerAsync {
		t.Errorf("the server got %+v", got)
	}
	again, replay, err := c.SubmitInvocation(ctx, "greet", strings.NewReader(`{"a":1}`), opts)
	if err != nil || !replay || again.ID != job.ID {
		t.Errorf("repeat: %+v, %v, %v", again, replay, err)
	}
	if _, _, err := c.SubmitInvocation(ctx, "greet", nil, InvokeOptions{}); err != nil || string(async.lastSubmitted().Payload) != "{}" {
		t.Errorf("no payload: %v, sent %q", err, async.lastSubmitted().Payload)
	}
	async.full["web"] = true
	refusals := []struct {
		name, function, payload string
		opts                    InvokeOptions
		code                    string
	}{
		{"unknown function", "nosuch", `{}`, InvokeOptions{}, lambda.ENOTFOUND},
		{"not JSON", "greet", `{`, InvokeOptions{}, lambda.EINVALID},
		{"too large", "greet", `"` + strings.Repeat("x", lambda.MaxAsyncPayloadBytes) + `"`, InvokeOptions{}, lambda.ETOOLARGE},
		{"key reused", "greet", `{"a":2}`, opts, lambda.EIDEMPOTENCY},
		{"queue full", "web", `{}`, InvokeOptions{}, lambda.ETHROTTLED},
	}
	for _, r := range refusals {
		if _, _, err := c.SubmitInvocation(ctx, r.function, strings.NewReader(r.payload), r.opts); lambda.ErrorCode(err) != r.code {
			t.Errorf("%s: %v, want code %s", r.name, err, r.code)
		}
	}
}
