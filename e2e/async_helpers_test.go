package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// Helpers of the asynchronous invocation tests (issue 10): they deploy
// testdata/asyncfn, submit events through the API and read the records
// (lambda.Job) back.

// deployAsyncFn deploys testdata/asyncfn as name with one instance, so
// that its in-memory record of what ran (GET /seen) sees every attempt.
func deployAsyncFn(s *server, name string, flags ...string) {
	s.t.Helper()
	args := append([]string{"deploy", "--image", goImage(s.t, "asyncfn"), "--name", name, "--max-instances", "1"}, flags...)
	s.mustLambda(args...)
}

// fnSeen is what testdata/asyncfn says it ran.
type fnSeen struct {
	Total       int `json:"total"`
	MaxInflight int `json:"max_inflight"`
	Requests    map[string]struct {
		Count  int      `json:"count"`
		Bodies []string `json:"bodies"`
	} `json:"requests"`
}

// bodiesWith counts the invocations whose event contained marker.
func (f fnSeen) bodiesWith(marker string) int {
	n := 0
	for _, r := range f.Requests {
		for _, b := range r.Bodies {
			if strings.Contains(b, marker) {
				n++
			}
		}
	}
	return n
}

// seenBy asks name's instance, through the gateway, what it ran.
func seenBy(s *server, name string) fnSeen {
	s.t.Helper()
	resp, body := s.request("GET", s.host(name), "/seen", nil)
	var f fnSeen
	if resp.StatusCode != 200 {
		s.t.Fatalf("GET /seen of %s: %d %s", name, resp.StatusCode, body)
	}
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		s.t.Fatalf("GET /seen of %s: %v: %s", name, err, body)
	}
	return f
}

// apiCall sends a control API request with extra headers and returns the
// status, headers and body.
func apiCall(s *server, method, path string, body []byte, header map[string]string) (int, http.Header, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url(path), bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// submitAsync posts an event to POST /v1/functions/{name}/invocations and
// returns the answer's status, headers and body.
func submitAsync(s *server, name string, event []byte, header map[string]string) (int, http.Header, string) {
	s.t.Helper()
	return apiCall(s, "POST", "/v1/functions/"+name+"/invocations", event, header)
}

// mustSubmit submits an event, checks the 202 answer (the record with its
// ID, and Location naming it) and returns the ID.
func mustSubmit(s *server, name, event string) string {
	s.t.Helper()
	status, h, body := submitAsync(s, name, []byte(event), nil)
	if status != http.StatusAccepted {
		s.t.Fatalf("submit to %s: %d %s, want 202", name, status, body)
	}
	var j lambda.Job
	if err := json.Unmarshal([]byte(body), &j); err != nil || j.ID == "" {
		s.t.Fatalf("submit to %s: the body is not a record with an id (%v): %s", name, err, body)
	}
	if loc := h.Get("Location"); loc != "/v1/invocations/"+j.ID && !strings.HasSuffix(loc, "/v1/invocations/"+j.ID) {
		s.t.Errorf("submit to %s: Location %q, want /v1/invocations/%s", name, loc, j.ID)
	}
	if j.Status != lambda.StatusQueued && j.Status != lambda.StatusRunning && j.Status != lambda.StatusSucceeded {
		s.t.Errorf("submit to %s: the record says status %q right after the submission", name, j.Status)
	}
	return j.ID
}

// getJob reads GET /v1/invocations/{id}; the status is 200 with the record,
// or the error's.
func getJob(s *server, id string) (int, *lambda.Job, string) {
	s.t.Helper()
	status, _, body := apiCall(s, "GET", "/v1/invocations/"+url.PathEscape(id), nil, nil)
	if status != 200 {
		return status, nil, body
	}
	var j lambda.Job
	if err := json.Unmarshal([]byte(body), &j); err != nil {
		s.t.Fatalf("GET /v1/invocations/%s: %v: %s", id, err, body)
	}
	return status, &j, body
}

// waitJob polls the record of id until done says so, failing the test
// with the last record seen after timeout.
func waitJob(s *server, id string, timeout time.Duration, done func(*lambda.Job) bool) *lambda.Job {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		status, j, body := getJob(s, id)
		if status != 200 {
			s.t.Fatalf("GET /v1/invocations/%s: %d %s", id, status, body)
		}
		if done(j) {
			return j
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("invocation %s: not there within %s; last record:\n%s", id, timeout, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ended is waitJob's condition for a job that is no longer pending.
func ended(j *lambda.Job) bool { return !j.Pending() }

// listJobs reads GET /v1/functions/{name}/invocations?query: the jobs,
// without the records of synchronous invocations it lists too (seenBy
// makes one).
func listJobs(s *server, name, query string) []lambda.Job {
	s.t.Helper()
	status, _, body := apiCall(s, "GET", "/v1/functions/"+name+"/invocations?"+query, nil, nil)
	if status != 200 {
		s.t.Fatalf("list invocations of %s: %d %s", name, status, body)
	}
	jobs, err := decodeJobs(body)
	if err != nil {
		s.t.Fatalf("list invocations of %s: %v: %s", name, err, body)
	}
	return slices.DeleteFunc(jobs, func(j lambda.Job) bool { return j.Sync && j.IdempotencyKey == "" })
}

// decodeJobs reads a listing of jobs: an array, or an object holding it
// in "invocations" (the API's InvocationList).
func decodeJobs(body string) ([]lambda.Job, error) {
	var jobs []lambda.Job
	if err := json.Unmarshal([]byte(body), &jobs); err == nil {
		return jobs, nil
	}
	var wrapped struct {
		Invocations *[]lambda.Job `json:"invocations"`
	}
	if err := json.Unmarshal([]byte(body), &wrapped); err != nil || wrapped.Invocations == nil {
		return nil, fmt.Errorf("neither a list of invocations nor an object with one (%v)", err)
	}
	return *wrapped.Invocations, nil
}

// cliJob reads `lambda invocation ID -o json`.
func cliJob(s *server, id string) *lambda.Job {
	s.t.Helper()
	res := s.mustLambda("invocation", id, "-o", "json")
	var j lambda.Job
	if err := json.Unmarshal([]byte(res.stdout), &j); err != nil {
		s.t.Fatalf("lambda invocation %s -o json: %v\n%s", id, err, res.stdout)
	}
	return &j
}

// describeAttempts summarises a job's history for failure messages.
func describeAttempts(j *lambda.Job) string {
	var b strings.Builder
	for _, a := range j.History {
		fmt.Fprintf(&b, "[attempt %d counted=%v %s http %d %s %q] ", a.Attempt, a.Counted, a.Status, a.HTTPStatus, a.ErrorType, a.Error)
	}
	return b.String()
}
