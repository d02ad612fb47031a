package http

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// fakeHistory is an in-memory lambda.InvocationHistory.
type fakeHistory struct {
	mu   sync.Mutex
	recs []*lambda.Job // oldest first, Seq set
}

func (h *fakeHistory) SaveInvocations(_ context.Context, recs []*lambda.Invocation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range recs {
		j := lambda.InvocationJob(r)
		j.Seq = int64(len(h.recs) + 1)
		h.recs = append(h.recs, j)
	}
	return nil
}

func (h *fakeHistory) ListInvocations(_ context.Context, f lambda.JobFilter) ([]*lambda.Job, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	sorted := slices.Clone(h.recs)
	slices.SortStableFunc(sorted, func(a, b *lambda.Job) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return int(b.Seq - a.Seq)
	})
	out := []*lambda.Job{}
	for _, j := range sorted {
		switch {
		case f.Function != "" && j.Function != f.Function,
			f.Status != "" && j.Status != f.Status,
			!f.Since.IsZero() && j.CreatedAt.Before(f.Since),
			!f.Before.IsZero() && !j.CreatedAt.Before(f.Before),
			f.After != nil && !f.After.Follows(j):
			continue
		}
		c := *j
		out = append(out, &c)
		if len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

func (h *fakeHistory) FindInvocation(_ context.Context, id string) (*lambda.Job, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, j := range h.recs {
		if j.ID == id {
			c := *j
			return &c, nil
		}
	}
	return nil, lambda.Errorf(lambda.ENOTFOUND, "invocation %q not found", id)
}

// newHistoryServer is newAsyncServer with a history holding, between and
// around greet's jobs, records of its synchronous invocations.
func newHistoryServer(t *testing.T) (*Server, *fakeAsync, *fakeHistory) {
	t.Helper()
	s, async := newAsyncServer(t)
	h := &fakeHistory{}
	s.History = h
	return s, async, h
}

// addRecord saves a synchronous invocation of function started at.
func (h *fakeHistory) addRecord(id, function string, trigger lambda.Trigger, status string, at time.Time) {
	h.SaveInvocations(context.Background(), []*lambda.Invocation{{
		ID: id, Function: function, Version: 7, Trigger: trigger, Start: at, Duration: 5 * time.Millisecond,
		Status: status, HTTPStatus: 200, Attempt: 1,
	}})
}

func listPage(t *testing.T, s *Server, query string) (InvocationList, *httptest.ResponseRecorder) {
	t.Helper()
	rec := serve(s, httptest.NewRequest("GET", "/v1/functions/greet/invocations"+query, nil))
	var out InvocationList
	if rec.Code == 200 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
	}
	return out, rec
}

func TestListInvocationsWithHistory(t *testing.T) {
	s, async, h := newHistoryServer(t)
	j1 := async.add("greet", lambda.StatusSucceeded)
	j2 := async.add("greet", lambda.StatusDead)
	async.add("web", lambda.StatusSucceeded)
	j3 := async.add("greet", lambda.StatusQueued)
	h.addRecord("r0", "greet", lambda.TriggerHTTP, lambda.StatusSucceeded, j1.CreatedAt.Add(-time.Second))
	h.addRecord("r1", "greet", lambda.TriggerInvoke, lambda.StatusFailed, j1.CreatedAt) // same time as a job: after it
	h.addRecord("r2", "greet", lambda.TriggerAPI, lambda.StatusSucceeded, j2.CreatedAt.Add(time.Millisecond))
	h.addRecord("r3", "greet", lambda.TriggerHTTP, lambda.StatusSucceeded, j3.CreatedAt.Add(time.Hour))
	h.addRecord("w", "web", lambda.TriggerHTTP, lambda.StatusSucceeded, j3.CreatedAt)
	// (An idempotent call's record is not stored beside its job: the
	// store's contract, tested in sqlite.)

	ids := func(l InvocationList) string {
		var out []string
		for _, j := range l.Invocations {
			out = append(out, j.ID)
		}
		return strings.Join(out, ",")
	}
	all := strings.Join([]string{"r3", j3.ID, "r2", j2.ID, j1.ID, "r1", "r0"}, ",")
	tests := []struct{ query, want string }{
		{"", all},
		{"?status=failed", "r1"},
		{"?status=succeeded", "r3,r2," + j1.ID + ",r0"},
		{"?status=dead", j2.ID},
		{"?since=" + j2.CreatedAt.Format(time.RFC3339Nano), "r3," + j3.ID + ",r2," + j2.ID},
		{"?before=" + j2.CreatedAt.Format(time.RFC3339Nano), j1.ID + ",r1,r0"},
	}
	for _, tt := range tests {
		out, rec := listPage(t, s, tt.query)
		if rec.Code != 200 || ids(out) != tt.want {
			t.Errorf("%q: %d %s, want %s", tt.query, rec.Code, ids(out), tt.want)
		}
	}
	out, _ := listPage(t, s, "")
	for _, j := range out.Invocations {
		if strings.HasPrefix(j.ID, "r") && (!j.Sync || j.Attempts != 1 || j.StartedAt == nil || j.Duration == 0 || j.Trigger == lambda.TriggerAsync) {
			t.Errorf("record %s listed as %+v", j.ID, j)
		}
	}
	// Every page size lists each entry once, in order.
	for limit := 1; limit <= 8; limit++ {
		var got []string
		q := "?limit=" + string(rune('0'+limit))
		for range 10 {
			page, rec := listPage(t, s, q)
			if rec.Code != 200 {
				t.Fatalf("%s: %d %s", q, rec.Code, rec.Body)
			}
			if p := ids(page); p != "" {
				got = append(got, p)
			}
			if page.NextCursor == "" {
				break
			}
			q = "?limit=" + string(rune('0'+limit)) + "&cursor=" + page.NextCursor
		}
		if g := strings.Join(got, ","); g != all {
			t.Errorf("limit %d: pages list %s, want %s", limit, g, all)
		}
	}
}

func TestGetInvocationRecord(t *testing.T) {
	s, async, h := newHistoryServer(t)
	j := async.add("greet", lambda.StatusSucceeded)
	h.addRecord("r1", "greet", lambda.TriggerHTTP, lambda.StatusSucceeded, time.Now())
	for id, sync := range map[string]bool{"r1": true, j.ID: false} {
		rec := serve(s, httptest.NewRequest("GET", "/v1/invocations/"+id, nil))
		var got lambda.Job
		if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != 200 || err != nil || got.ID != id || got.Sync != sync {
			t.Errorf("GET %s: %d %s", id, rec.Code, rec.Body)
		}
	}
	rec := serve(s, httptest.NewRequest("GET", "/v1/invocations/nosuch", nil))
	if e := errorOf(t, rec); rec.Code != 404 || !strings.Contains(e.Message, `invocation "nosuch" not found`) || !strings.Contains(e.Message, "synchronous") {
		t.Errorf("unknown ID: %d %q", rec.Code, e.Message)
	}
	// Without a queue, the history still answers.
	s.Async = nil
	if rec := serve(s, httptest.NewRequest("GET", "/v1/invocations/r1", nil)); rec.Code != 200 {
		t.Errorf("GET r1 without a queue: %d %s", rec.Code, rec.Body)
	}
	if out, rec := listPage(t, s, ""); rec.Code != 200 || len(out.Invocations) != 1 {
		t.Errorf("list without a queue: %d %s", rec.Code, rec.Body)
	}
}
