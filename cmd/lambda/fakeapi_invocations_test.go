package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

// fakeJobs mimics the invocation routes. A job of function greet succeeds
// and echoes its event; one of flaky fails once then ends dead; one of
// crawl never ends. Each GET of a job moves it one step along its script,
// so that waiting clients see it change.
type fakeJobs struct {
	mu      sync.Mutex
	jobs    []*lambda.Job
	scripts map[string][]lambda.Job // by job ID: the states the next GETs show
	// What the last calls sent.
	lastPayload, lastKey, lastTimeout, lastQuery string
	lastRedrive                                  lambdahttp.RedriveRequest
	queries                                      []string // of listings
	gets                                         int
	// unavailable is how many GETs of a job answer 503 before the rest.
	unavailable int
}

func (f *fakeJobs) register(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/functions/{name}/invocations", f.submit)
	mux.HandleFunc("GET /v1/invocations/{id}", f.get)
	mux.HandleFunc("GET /v1/functions/{name}/invocations", f.list)
	mux.HandleFunc("POST /v1/functions/{name}/redrive", f.redrive)
}

var fakeT0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

// add stores a job as given, one second after the previous one.
func (f *fakeJobs) add(j lambda.Job) *lambda.Job {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addLocked(j)
}

func (f *fakeJobs) addLocked(j lambda.Job) *lambda.Job {
	if j.ID == "" {
		j.ID = fmt.Sprintf("inv-%d", len(f.jobs)+1)
	}
	if j.Trigger == "" {
		j.Trigger = lambda.TriggerAsync
	}
	j.CreatedAt = fakeT0.Add(time.Duration(len(f.jobs)) * time.Second)
	f.jobs = append(f.jobs, &j)
	return &j
}

func (f *fakeJobs) submit(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastPayload, f.lastKey, f.lastTimeout = string(body), r.Header.Get("Idempotency-Key"), r.URL.Query().Get("timeout")
	name := r.PathValue("name")
	if !slices.Contains([]string{"greet", "flaky", "crawl"}, name) {
		apiError(w, 404, lambda.ENOTFOUND, "function %q not found", name)
		return
	}
	if f.lastKey != "" {
		for _, j := range f.jobs {
			if j.IdempotencyKey == f.lastKey {
				w.Header().Set(lambdahttp.HeaderIdempotentReplay, "true")
				c := *j
				c.Payload, c.Response = nil, nil // as the server acknowledges
				reply(w, 202, &c)
				return
			}
		}
	}
	if f.scripts == nil {
		f.scripts = map[string][]lambda.Job{}
	}
	j := f.addLocked(lambda.Job{Function: name, Status: lambda.StatusQueued, Payload: body, IdempotencyKey: f.lastKey})
	start := fakeT0.Add(time.Minute)
	end := start.Add(12 * time.Millisecond)
	running := *j
	running.Status, running.StartedAt = lambda.StatusRunning, &start
	done := running
	done.FinishedAt, done.Duration, done.Attempts, done.Version = &end, lambda.Duration(12*time.Millisecond), 1, 3
	attempt := lambda.JobAttempt{Attempt: 1, Counted: true, Start: start, Duration: lambda.Duration(12 * time.Millisecond), Version: 3}
	switch name {
	case "greet":
		done.Status, done.HTTPStatus, done.Response = lambda.StatusSucceeded, 200, []byte(`{"echo":`+string(body)+`}`)
		attempt.Status, attempt.HTTPStatus, attempt.Logs = lambda.StatusSucceeded, 200, "hello from greet\n"
		done.History = []lambda.JobAttempt{attempt}
		f.scripts[j.ID] = []lambda.Job{running, done}
	case "flaky":
		retrying := running
		retrying.Status, retrying.Attempts, retrying.NextRunAt = lambda.StatusRetrying, 1, start.Add(time.Minute)
		retrying.ErrorType, retrying.FunctionError, retrying.ErrorMessage = lambda.EFUNCTION, "Unhandled", "boom"
		running2 := running
		running2.Attempts = 1
		done.Status, done.Attempts, done.HTTPStatus = lambda.StatusDead, 2, 500
		done.FunctionError, done.ErrorType, done.ErrorMessage = "Unhandled", lambda.EFUNCTION, "boom"
		done.Response = []byte(`{"errorMessage":"boom","errorType":"Error"}`)
		attempt.Status, attempt.HTTPStatus, attempt.ErrorType, attempt.Error, attempt.Logs = lambda.StatusFailed, 500, lambda.EFUNCTION, "boom", "starting\npanic: boom\n"
		second := attempt
		second.Attempt = 2
		done.History = []lambda.JobAttempt{attempt, second}
		f.scripts[j.ID] = []lambda.Job{running, retrying, running2, done}
	}
	w.Header().Set("Location", "/v1/invocations/"+j.ID)
	reply(w, 202, j)
}

func (f *fakeJobs) get(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if f.unavailable > 0 {
		f.unavailable--
		apiError(w, 503, lambda.EUNAVAILABLE, "the server is shutting down")
		return
	}
	for _, j := range f.jobs {
		if j.ID != r.PathValue("id") {
			continue
		}
		if next := f.scripts[j.ID]; len(next) > 0 {
			*j, f.scripts[j.ID] = next[0], next[1:]
		}
		reply(w, 200, j)
		return
	}
	apiError(w, 404, lambda.ENOTFOUND, "invocation %q not found", r.PathValue("id"))
}

func (f *fakeJobs) list(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastQuery = r.URL.RawQuery
	name := r.PathValue("name")
	if name == "nope" {
		apiError(w, 404, lambda.ENOTFOUND, "function %q not found", name)
		return
	}
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil {
		limit = lambda.DefaultJobListLimit
	}
	var after *lambda.JobCursor
	if v := r.URL.Query().Get("cursor"); v != "" {
		if after, err = lambda.ParseJobCursor(v); err != nil {
			apiError(w, 400, lambda.EINVALID, "%v", err)
			return
		}
	}
	out := lambdahttp.InvocationList{Invocations: []*lambda.Job{}}
	for i, j := range slices.Backward(f.jobs) {
		c := *j
		c.Payload, c.Response, c.Seq = nil, nil, int64(i+1)
		if j.Function == name && (r.URL.Query().Get("status") == "" || j.Status == r.URL.Query().Get("status")) &&
			(after == nil || after.Follows(&c)) && len(out.Invocations) < limit {
			out.Invocations = append(out.Invocations, &c)
		}
	}
	if len(out.Invocations) == limit {
		out.NextCursor = lambda.CursorAfter(out.Invocations[limit-1]).String()
	}
	f.queries = append(f.queries, r.URL.RawQuery)
	reply(w, 200, out)
}

func (f *fakeJobs) redrive(w http.ResponseWriter, r *http.Request) {
	var req lambdahttp.RedriveRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		apiError(w, 400, lambda.EINVALID, "bad body: %v", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastRedrive = req
	out := lambdahttp.RedriveResult{Redriven: []*lambda.Job{}}
	for _, id := range req.IDs {
		if i := slices.IndexFunc(f.jobs, func(j *lambda.Job) bool { return j.ID == id }); i < 0 {
			apiError(w, 404, lambda.ENOTFOUND, "invocation %q of function %q not found", id, r.PathValue("name"))
			return
		} else if st := f.jobs[i].Status; st != lambda.StatusDead {
			apiError(w, 409, lambda.ECONFLICT, "invocation %q is %s, not dead: only dead invocations can be redriven", id, st)
			return
		}
	}
	for _, j := range f.jobs {
		if j.Function == r.PathValue("name") && j.Status == lambda.StatusDead && (req.All || slices.Contains(req.IDs, j.ID)) {
			j.Status, j.Attempts = lambda.StatusQueued, 0
			c := *j
			c.Payload, c.Response = nil, nil
			out.Redriven = append(out.Redriven, &c)
		}
	}
	reply(w, 200, out)
}

// fakeInvokeHeaders answers a synchronous invoke's options as the server
// does: the invocation's ID, version and cold start, the log tail when
// asked, and a replay for the idempotency key "seen".
func fakeInvokeHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set(lambdahttp.HeaderRequestID, "inv-sync")
	h.Set(lambdahttp.HeaderTraceID, "4bf92f3577b34da6a3ce929d0e0e4736")
	h.Set("X-Lambda-Version", "3")
	h.Set("X-Lambda-Cold-Start", "true")
	if r.Header.Get(lambdahttp.HeaderLogType) == "Tail" {
		h.Set(lambdahttp.HeaderLogResult, base64.StdEncoding.EncodeToString([]byte("START\nhello\n")))
	}
	if r.Header.Get(lambdahttp.HeaderIdempotencyKey) == "seen" {
		h.Set(lambdahttp.HeaderIdempotentReplay, "true")
	}
}
