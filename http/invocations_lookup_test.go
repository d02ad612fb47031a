package http

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// unreadStore fails a test that reads it.
type unreadStore struct {
	lambda.FunctionStore
	t *testing.T
}

func (u unreadStore) FindFunction(context.Context, string) (*lambda.Function, error) {
	u.t.Error("the submission read the function store: it has a Lookup")
	return nil, lambda.Errorf(lambda.EINTERNAL, "unread store")
}

// ListFunctions is read on a refusal's path only, for the did-you-mean
// hint; nothing is near then.
func (u unreadStore) ListFunctions(context.Context) ([]*lambda.Function, error) { return nil, nil }

// TestSubmitInvocationLookup: with a Lookup, a submission checks its
// function there (the engine's memory on the server), never in the store,
// and a refused one never reaches the queue.
func TestSubmitInvocationLookup(t *testing.T) {
	for _, tt := range []struct {
		function string
		status   int
		msgHas   string
	}{
		{"greet", 202, ""},
		{"nosuch", 404, `"nosuch" not found`},
		{"draft", 404, `deploy it with "lambda deploy"`},
	} {
		t.Run(tt.function, func(t *testing.T) {
			s, async := newAsyncServer(t)
			s.Lookup = lambda.LookupStore{Store: s.Store}
			s.Store = unreadStore{t: t}
			rec := serve(s, httptest.NewRequest("POST", "/v1/functions/"+tt.function+"/invocations", strings.NewReader(`{}`)))
			if rec.Code != tt.status {
				t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, tt.status)
			}
			n, _ := async.counts()
			if tt.status != 202 {
				if e := errorOf(t, rec); e.Code != lambda.ENOTFOUND || !strings.Contains(e.Message, tt.msgHas) {
					t.Errorf("error %s %q, want %s with %q", e.Code, e.Message, lambda.ENOTFOUND, tt.msgHas)
				}
				if n != 0 {
					t.Errorf("%d submissions reached the queue, want none", n)
				}
			} else if n != 1 {
				t.Errorf("%d submissions reached the queue, want 1", n)
			}
		})
	}
}
