package http

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/lambdahq/lambda"
)

// newAsyncServer serves greet (active version 7 of 1-7) and web, knows
// draft (no active version), and queues into a fakeAsync.
func newAsyncServer(t testing.TB) (*Server, *fakeAsync) {
	t.Helper()
	store := &fakeFunctionStore{fns: map[string]*lambda.Function{}, versions: map[string][]int{}}
	store.add("greet", 7, lambda.ProtocolAWS, 2*time.Second, 1, 2, 3, 4, 5, 6)
	store.add("web", 1, lambda.ProtocolHTTP, time.Second)
	store.fns["draft"] = &lambda.Function{Name: "draft"}
	s := openForTest(NewServer())
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s.Store = store
	async := newFakeAsync()
	s.Async = async
	return s, async
}

// serve sends one request through the server's handler.
func serve(s *Server, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

// errorOf decodes the platform's error answer.
func errorOf(t *testing.T, rec *httptest.ResponseRecorder) ErrorBody {
	t.Helper()
	var e ErrorResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("answer %d is not an error document: %q", rec.Code, rec.Body.String())
	}
	return e.Error
}

func TestSubmitInvocation(t *testing.T) {
	s, async := newAsyncServer(t)
	req := httptest.NewRequest("POST", "/v1/functions/greet/invocations?timeout=1500ms", strings.NewReader(`{"name":"Ada"}`))
	req.Header.Set("Content-Type", "text/plain") // any type: the body is the event
	req.Header.Set(HeaderIdempotencyKey, "order-42")
	rec := serve(s, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var job lambda.Job
	if err := json.Unmarshal(rec.Body.Bytes(), &job); err != nil {
		t.Fatal(err)
	}
	if job.ID == "" || job.Status != lambda.StatusQueued || job.Function != "greet" || job.Trigger != lambda.TriggerAsync {
		t.Errorf("record %+v", job)
	}
	if job.Payload != nil {
		t.Errorf("the acknowledgment echoes the payload: %s", job.Payload)
	}
	if got := rec.Header().Get("Location"); got != "/v1/invocations/"+job.ID {
		t.Errorf("Location %q", got)
	}
	if rec.Header().Get(HeaderIdempotentReplay) != "" {
		t.Error("a first submission is marked as a replay")
	}
	got := async.lastSubmitted()
	if string(got.Payload) != `{"name":"Ada"}` || got.IdempotencyKey != "order-42" || got.Timeout != 1500*time.Millisecond || got.Trigger != lambda.TriggerAsync || got.Function != "greet" {
		t.Errorf("submitted %+v", got)
	}

	// The same key again names the same invocation.
	req = httptest.NewRequest("POST", "/v1/functions/greet/invocations", strings.NewReader(`{"name":"Ada"}`))
	req.Header.Set(HeaderIdempotencyKey, "order-42")
	rec = serve(s, req)
	var again lambda.Job
	_ = json.Unmarshal(rec.Body.Bytes(), &again)
	if rec.Code != http.StatusAccepted || again.ID != job.ID || rec.Header().Get(HeaderIdempotentReplay) != "true" {
		t.Errorf("replay: status %d, id %q (first %q), replay header %q", rec.Code, again.ID, job.ID, rec.Header().Get(HeaderIdempotentReplay))
	}
	if n := len(async.jobs); n != 1 {
		t.Errorf("%d jobs after an idempotent repeat, want 1", n)
	}

	// An empty body is the event {}.
	rec = serve(s, httptest.NewRequest("POST", "/v1/functions/web/invocations", nil))
	if rec.Code != http.StatusAccepted || string(async.lastSubmitted().Payload) != "{}" {
		t.Errorf("empty body: status %d, payload %q", rec.Code, async.lastSubmitted().Payload)
	}
}

func TestSubmitInvocationRefusals(t *testing.T) {
	big := `"` + strings.Repeat("x", lambda.MaxAsyncPayloadBytes) + `"`
	tests := []struct {
		name     string
		path     string
		body     io.Reader
		key      string
		status   int
		code     string
		msgHas   string
		prepared func(*fakeAsync) // state before the call
		// reached: the call got to the service, which refused it.
		reached bool
	}{
		{name: "unknown function", path: "/v1/functions/nosuch/invocations", body: strings.NewReader(`{}`), status: 404, code: lambda.ENOTFOUND, msgHas: `"nosuch" not found, or it has no active version: deploy it with "lambda deploy"`},
		{name: "no active version", path: "/v1/functions/draft/invocations", body: strings.NewReader(`{}`), status: 404, code: lambda.ENOTFOUND, msgHas: `deploy it with "lambda deploy"`},
		{name: "invalid name", path: "/v1/functions/Bad_Name/invocations", body: strings.NewReader(`{}`), status: 400, code: lambda.EINVALID},
		{name: "payload over 1 MB", path: "/v1/functions/greet/invocations", body: strings.NewReader(big), status: 413, code: lambda.ETOOLARGE, msgHas: "1 MB"},
		{name: "payload over 1 MB, length unannounced", path: "/v1/functions/greet/invocations", body: iotest.HalfReader(strings.NewReader(big)), status: 413, code: lambda.ETOOLARGE, msgHas: "1 MB"},
		{name: "bad JSON", path: "/v1/functions/greet/invocations", body: strings.NewReader(`{"a":`), status: 400, code: lambda.EINVALID, msgHas: "could not parse the payload as JSON"},
		{name: "two JSON values", path: "/v1/functions/greet/invocations", body: strings.NewReader(`{} {}`), status: 400, code: lambda.EINVALID, msgHas: "could not parse the payload as JSON"},
		{name: "JSON nested too deep", path: "/v1/functions/greet/invocations", body: strings.NewReader(strings.Repeat("[", 10001) + strings.Repeat("]", 10001)), status: 400, code: lambda.EINVALID,
			msgHas: "the payload's JSON nests arrays and objects deeper than 10000 levels (at byte 10001), more than this server reads: flatten it"},
		{name: "idempotency key over 256 characters", path: "/v1/functions/greet/invocations", body: strings.NewReader(`{}`), key: strings.Repeat("k", 257), status: 400, code: lambda.EINVALID, msgHas: "257 characters long, over the limit of 256"},
		{name: "timeout not a duration", path: "/v1/functions/greet/invocations?timeout=5", body: strings.NewReader(`{}`), status: 400, code: lambda.EINVALID, msgHas: "not a duration"},
		{name: "timeout out of range", path: "/v1/functions/greet/invocations?timeout=1h", body: strings.NewReader(`{}`), status: 400, code: lambda.EINVALID, msgHas: "out of range 1ms-15m"},
		{name: "two timeouts", path: "/v1/functions/greet/invocations?timeout=1s&timeout=", body: strings.NewReader(`{}`), status: 400, code: lambda.EINVALID, msgHas: "timeout is given 2 times: send one"},
		{name: "two qualifiers", path: "/v1/functions/greet/invocations?qualifier=live&qualifier=1", body: strings.NewReader(`{}`), status: 400, code: lambda.EINVALID, msgHas: "qualifier is given 2 times: send one"},
		{name: "queue full", path: "/v1/functions/greet/invocations", body: strings.NewReader(`{}`), status: 429, code: lambda.ETHROTTLED, msgHas: "queued invocations",
			prepared: func(f *fakeAsync) { f.full["greet"] = true }, reached: true},
		{name: "key reused with another payload", path: "/v1/functions/greet/invocations", body: strings.NewReader(`{"b":2}`), key: "k1", status: 422, code: lambda.EIDEMPOTENCY, msgHas: "another payload",
			prepared: func(f *fakeAsync) {
				j := f.add("greet", lambda.StatusSucceeded)
				j.IdempotencyKey = "k1"
			}, reached: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, async := newAsyncServer(t)
			if tt.prepared != nil {
				tt.prepared(async)
			}
			before := len(async.jobs)
			req := httptest.NewRequest("POST", tt.path, tt.body)
			if _, ok := tt.body.(*strings.Reader); !ok {
				req.ContentLength = -1
			}
			if tt.key != "" {
				req.Header.Set(HeaderIdempotencyKey, tt.key)
			}
			rec := serve(s, req)
			e := errorOf(t, rec)
			if rec.Code != tt.status || e.Code != tt.code || !strings.Contains(e.Message, tt.msgHas) {
				t.Errorf("got %d %s %q, want %d %s with %q", rec.Code, e.Code, e.Message, tt.status, tt.code, tt.msgHas)
			}
			if len(async.jobs) != before {
				t.Errorf("%d jobs queued by a refused call", len(async.jobs)-before)
			}
			if n, _ := async.counts(); (n > 0) != tt.reached {
				t.Errorf("%d submissions reached the queue, want reached=%v", n, tt.reached)
			}
			if tt.status == 429 && rec.Header().Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		})
	}
}

func TestInvocationsWithoutAsync(t *testing.T) {
	s, _ := newAsyncServer(t)
	s.Async = nil
	for _, req := range []*http.Request{
		httptest.NewRequest("POST", "/v1/functions/greet/invocations", strings.NewReader(`{}`)),
		httptest.NewRequest("GET", "/v1/functions/greet/invocations", nil),
		httptest.NewRequest("GET", "/v1/invocations/x", nil),
		httptest.NewRequest("POST", "/v1/functions/greet/redrive", strings.NewReader(`{"all":true}`)),
	} {
		rec := serve(s, req)
		if e := errorOf(t, rec); rec.Code != 501 || e.Code != lambda.ENOTIMPLEMENTED {
			t.Errorf("%s %s: %d %s %q", req.Method, req.URL, rec.Code, e.Code, e.Message)
		}
	}
}

func TestGetInvocation(t *testing.T) {
	s, async := newAsyncServer(t)
	dead := async.add("greet", lambda.StatusDead)
	dead.History = []lambda.JobAttempt{{Attempt: 1, Counted: true, Status: lambda.StatusFailed, Logs: "boom\n"}}
	rec := serve(s, httptest.NewRequest("GET", "/v1/invocations/"+dead.ID, nil))
	var got lambda.Job
	if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != 200 || err != nil {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	// The full record: payload, response and the attempts' logs.
	if got.ID != dead.ID || string(got.Payload) != `{"n":1}` || string(got.Response) != `{"errorMessage":"boom"}` || len(got.History) != 1 || got.History[0].Logs != "boom\n" {
		t.Errorf("record %+v", got)
	}

	rec = serve(s, httptest.NewRequest("GET", "/v1/invocations/nosuch", nil))
	if e := errorOf(t, rec); rec.Code != 404 || !strings.Contains(e.Message, `invocation "nosuch" not found`) || !strings.Contains(e.Message, "lambda invocations NAME") {
		t.Errorf("unknown ID: %d %q", rec.Code, e.Message)
	}
}

// A key limited to one function cannot tell another function's invocation
// from one that does not exist.
func TestGetInvocationOfAnotherFunction(t *testing.T) {
	a := newAuthServer()
	s, async := newAsyncServer(t)
	a.Store, a.Async = s.Store, s.Async
	mine, theirs := async.add("greet", lambda.StatusSucceeded), async.add("web", lambda.StatusSucceeded)
	// A key that may invoke greet follows greet's invocations by ID as a
	// read key does (lambda invoke --async --wait), and no others.
	for _, scope := range []string{lambda.ScopeRead, lambda.ScopeInvoke} {
		_, secret := a.newKey(t, scope, "greet")
		get := func(path string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			return serve(a.Server, req)
		}
		if rec := get("/v1/invocations/" + mine.ID); rec.Code != 200 || !strings.Contains(rec.Body.String(), mine.ID) {
			t.Errorf("%s key, own function's invocation: %d %s", scope, rec.Code, rec.Body)
		}
		hidden, missing := get("/v1/invocations/"+theirs.ID), get("/v1/invocations/nosuch")
		if hidden.Code != 404 || strings.Contains(hidden.Body.String(), "web") {
			t.Errorf("%s key, another function's invocation: %d %s", scope, hidden.Code, hidden.Body)
		}
		if strings.ReplaceAll(hidden.Body.String(), theirs.ID, "nosuch") != missing.Body.String() {
			t.Errorf("%s key: a hidden invocation answers %q, a missing one %q", scope, hidden.Body, missing.Body)
		}
		// The listing shows every caller's events: read scope only.
		want := map[string]int{lambda.ScopeRead: 200, lambda.ScopeInvoke: 403}[scope]
		if rec := get("/v1/functions/greet/invocations"); rec.Code != want {
			t.Errorf("%s key, listing: %d, want %d", scope, rec.Code, want)
		}
	}
}

func TestListInvocations(t *testing.T) {
	s, async := newAsyncServer(t)
	a := async.add("greet", lambda.StatusSucceeded)
	async.add("web", lambda.StatusSucceeded)
	b := async.add("greet", lambda.StatusDead)
	c := async.add("greet", lambda.StatusQueued)
	a.CreatedAt = b.CreatedAt // as jobs redriven together: paging must not skip one

	list := func(query string) (InvocationList, *httptest.ResponseRecorder) {
		rec := serve(s, httptest.NewRequest("GET", "/v1/functions/greet/invocations"+query, nil))
		var out InvocationList
		if rec.Code == 200 {
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
		}
		return out, rec
	}
	ids := func(l InvocationList) []string {
		var out []string
		for _, j := range l.Invocations {
			out = append(out, j.ID)
		}
		return out
	}
	out, rec := list("")
	if rec.Code != 200 || strings.Join(ids(out), ",") != strings.Join([]string{c.ID, b.ID, a.ID}, ",") || out.NextCursor != "" {
		t.Fatalf("list: %d %v next %v", rec.Code, ids(out), out.NextCursor)
	}
	for _, j := range out.Invocations {
		if j.Payload != nil || j.Response != nil {
			t.Errorf("the listing carries %s's payload or response", j.ID)
		}
	}
	if out, _ := list("?status=dead"); strings.Join(ids(out), ",") != b.ID {
		t.Errorf("status=dead: %v", ids(out))
	}
	// Pages: a full page says where the next starts.
	page1, _ := list("?limit=2")
	if len(page1.Invocations) != 2 || page1.NextCursor == "" {
		t.Fatalf("limit=2: %v next %v", ids(page1), page1.NextCursor)
	}
	page2, _ := list("?limit=2&cursor=" + page1.NextCursor)
	if strings.Join(ids(page2), ",") != a.ID || page2.NextCursor != "" {
		t.Errorf("second page %v next %q", ids(page2), page2.NextCursor)
	}
	// before is a time: jobs created strictly before it.
	if out, _ := list("?before=" + b.CreatedAt.Add(time.Nanosecond).Format(time.RFC3339Nano)); strings.Join(ids(out), ",") != b.ID+","+a.ID {
		t.Errorf("before: %v", ids(out))
	}
	if out, _ := list("?since=" + b.CreatedAt.Format(time.RFC3339)); strings.Join(ids(out), ",") != c.ID+","+b.ID+","+a.ID {
		t.Errorf("since %s: %v", b.CreatedAt, ids(out))
	}
	if _, rec := list("?since=7d"); rec.Code != 200 {
		t.Errorf("since=7d: %d %s", rec.Code, rec.Body)
	}
	if out, _ := list("?since=1h"); len(out.Invocations) != 0 { // the fake's jobs are from 2026-12-05
		t.Errorf("since=1h: %v", ids(out))
	}

	refusals := []struct {
		path, msgHas string
		status       int
	}{
		{"/v1/functions/greet/invocations?status=done", "use one of queued, running, retrying, succeeded, failed, dead", 400},
		{"/v1/functions/greet/invocations?status=succeeded&status=failed", "status is given 2 times", 400},
		{"/v1/functions/greet/invocations?limit=1&limit=2", "limit is given 2 times", 400},
		{"/v1/functions/greet/invocations?since=yesterday", "30m, 24h or 7d", 400},
		{"/v1/functions/greet/invocations?since=-1h", "positive duration", 400},
		{"/v1/functions/greet/invocations?limit=0", "from 1 to 1000", 400},
		{"/v1/functions/greet/invocations?limit=1001", "from 1 to 1000", 400},
		{"/v1/functions/greet/invocations?limit=ten", "from 1 to 1000", 400},
		{"/v1/functions/greet/invocations?before=now", "RFC 3339", 400},
		{"/v1/functions/greet/invocations?cursor=2026-12-05T10:00:00Z", "next_cursor", 400},
		{"/v1/functions/nosuch/invocations", `"nosuch" not found`, 404},
	}
	for _, r := range refusals {
		rec := serve(s, httptest.NewRequest("GET", r.path, nil))
		if e := errorOf(t, rec); rec.Code != r.status || !strings.Contains(e.Message, r.msgHas) {
			t.Errorf("%s: %d %q, want %d with %q", r.path, rec.Code, e.Message, r.status, r.msgHas)
		}
	}
}

func TestRedrive(t *testing.T) {
	type jobs struct{ dead1, dead2, ok, other *lambda.Job }
	tests := []struct {
		name   string
		body   func(j jobs) string
		status int
		msgHas string
		want   func(j jobs) []string // the IDs redriven
	}{
		{name: "by id", body: func(j jobs) string { return `{"ids":["` + j.dead2.ID + `"]}` }, status: 200,
			want: func(j jobs) []string { return []string{j.dead2.ID} }},
		{name: "all", body: func(jobs) string { return `{"all":true}` }, status: 200,
			want: func(j jobs) []string { return []string{j.dead1.ID, j.dead2.ID} }},
		{name: "not dead", body: func(j jobs) string { return `{"ids":["` + j.dead1.ID + `","` + j.ok.ID + `"]}` }, status: 409, msgHas: "is succeeded, not dead"},
		{name: "unknown id", body: func(j jobs) string { return `{"ids":["nosuch"]}` }, status: 404, msgHas: `invocation "nosuch" of function "greet" not found`},
		{name: "another function's job", body: func(j jobs) string { return `{"ids":["` + j.other.ID + `"]}` }, status: 404, msgHas: "not found"},
		{name: "both ids and all", body: func(j jobs) string { return `{"ids":["` + j.dead1.ID + `"],"all":true}` }, status: 400, msgHas: "not both"},
		{name: "neither", body: func(jobs) string { return `{}` }, status: 400, msgHas: `"all": true`},
		{name: "empty id", body: func(jobs) string { return `{"ids":[""]}` }, status: 400, msgHas: "ids[0] is empty"},
		{name: "not JSON", body: func(jobs) string { return `ids` }, status: 400, msgHas: "not valid JSON"},
		{name: "unknown field", body: func(jobs) string { return `{"id":"x"}` }, status: 400, msgHas: "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, async := newAsyncServer(t)
			j := jobs{dead1: async.add("greet", lambda.StatusDead), ok: async.add("greet", lambda.StatusSucceeded),
				other: async.add("web", lambda.StatusDead), dead2: async.add("greet", lambda.StatusDead)}
			rec := serve(s, httptest.NewRequest("POST", "/v1/functions/greet/redrive", strings.NewReader(tt.body(j))))
			_, redrives := async.counts()
			if tt.status != 200 {
				if e := errorOf(t, rec); rec.Code != tt.status || !strings.Contains(e.Message, tt.msgHas) {
					t.Errorf("got %d %q, want %d with %q", rec.Code, e.Message, tt.status, tt.msgHas)
				}
				if redrives != 0 {
					t.Error("a refused redrive reached the queue")
				}
				return
			}
			var out RedriveResult
			if err := json.Unmarshal(rec.Body.Bytes(), &out); rec.Code != 200 || err != nil {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			var got []string
			for _, r := range out.Redriven {
				got = append(got, r.ID)
				if r.Status != lambda.StatusQueued || r.Payload != nil {
					t.Errorf("redriven %+v", r)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want(j), ",") {
				t.Errorf("redrove %v, want %v", got, tt.want(j))
			}
		})
	}
}

// The guard records redrives in the audit log under the function's name.
func TestRedriveAudited(t *testing.T) {
	a := newAuthServer()
	s, async := newAsyncServer(t)
	a.Store, a.Async = s.Store, s.Async
	dead := async.add("greet", lambda.StatusDead)
	_, secret := a.newKey(t, lambda.ScopeInvoke, "greet")
	req := httptest.NewRequest("POST", "/v1/functions/greet/redrive", bytes.NewReader([]byte(`{"ids":["`+dead.ID+`"]}`)))
	req.Header.Set("Authorization", "Bearer "+secret)
	if rec := serve(a.Server, req); rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if len(a.keys.audit) != 1 || a.keys.audit[0].Action != "redrive" || a.keys.audit[0].Function != "greet" {
		t.Errorf("audit %+v", a.keys.audit)
	}
}
