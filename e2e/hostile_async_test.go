package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestHostileAsync: what a careless or hostile client does to the
// asynchronous invocations of issue 10, each refused cleanly or handled
// exactly once: payloads at and past the 1 MB boundary (with and without a
// length), odd JSON, per-call timeouts out of range, bursts of one
// idempotency key (async and sync), and keys limited to another function
// reaching for a job by its ID.
func TestHostileAsync(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("hostile-async")
	deployAsyncFn(s, name, "--max-retries", "0")
	invocations := "/v1/functions/" + name + "/invocations"

	t.Run("payload boundaries", func(t *testing.T) {
		s := *s
		s.t = t
		before := len(listJobs(&s, name, "limit=1000"))
		// A JSON string of exactly 1 MB is accepted and runs.
		exact := `"` + strings.Repeat("x", lambda.MaxAsyncPayloadBytes-2) + `"`
		id := mustSubmit(&s, name, exact)
		if j := waitJob(&s, id, 60*time.Second, ended); j.Status != lambda.StatusSucceeded || !j.ResponseTruncated {
			t.Errorf("a 1 MB event: %s after %d attempt(s), response_truncated %v; want succeeded with its echo cut at 256 KB (%s)", j.Status, j.Attempts, j.ResponseTruncated, describeAttempts(j))
		}
		// One byte more is refused, whether the length is announced or the
		// body comes chunked without one.
		over := `"` + strings.Repeat("x", lambda.MaxAsyncPayloadBytes-1) + `"`
		for _, chunked := range []bool{false, true} {
			status, body := postBody(&s, invocations, over, chunked)
			if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "too_large") {
				t.Errorf("1 MB + 1 (chunked %v): %d %s, want 413 too_large", chunked, status, trimBody(body))
			}
		}
		for _, c := range []struct{ what, body string }{
			{"trailing garbage", `{"a":1} xx`},
			{"two values", `{"a":1}{"b":2}`},
			{"nesting past the JSON depth limit", strings.Repeat("[", 10001) + strings.Repeat("]", 10001)},
			{"a form body", `a=1&b=2`},
			{"a byte order mark", "\xef\xbb\xbf{}"},
		} {
			status, _, body := submitAsync(&s, name, []byte(c.body), map[string]string{"Content-Type": "text/plain"})
			if status != http.StatusBadRequest || !strings.Contains(body, "JSON") {
				t.Errorf("%s: %d %s, want 400 naming JSON", c.what, status, trimBody(body))
			}
		}
		// An empty body is the event {}, as on Lambda.
		id = mustSubmit(&s, name, "")
		if j := waitJob(&s, id, 30*time.Second, ended); j.Status != lambda.StatusSucceeded || string(j.Payload) != "{}" {
			t.Errorf("an empty body: %s with payload %q, want succeeded with {}", j.Status, j.Payload)
		}
		if n := len(listJobs(&s, name, "limit=1000")); n != before+2 {
			t.Errorf("%d invocations after two accepted and the rest refused, want %d", n, before+2)
		}
	})

	t.Run("per-call timeouts", func(t *testing.T) {
		s := *s
		s.t = t
		before := len(listJobs(&s, name, "limit=1000"))
		for _, v := range []string{"0", "-1s", "1ns", "999us", "16m", "1h", "abc", "1e3s", "%20"} {
			for _, path := range []string{invocations, "/v1/functions/" + name + "/invoke"} {
				status, _, body := apiCall(&s, "POST", path+"?timeout="+v, []byte(`{"tag":"bad-timeout"}`), nil)
				if status != http.StatusBadRequest || !strings.Contains(body, "timeout") {
					t.Errorf("POST %s?timeout=%s: %d %s, want 400 naming the timeout", path, v, status, trimBody(body))
				}
			}
		}
		// The bounds themselves are accepted.
		for _, v := range []string{"1ms", "15m"} {
			status, _, body := apiCall(&s, "POST", invocations+"?timeout="+v, []byte(`{"tag":"edge-timeout"}`), nil)
			if status != http.StatusAccepted {
				t.Errorf("timeout %s: %d %s, want 202", v, status, trimBody(body))
			}
		}
		if n := len(listJobs(&s, name, "limit=1000")); n != before+2 {
			t.Errorf("%d invocations after the refused timeouts, want %d", n, before+2)
		}
		if n := seenBy(&s, name).bodiesWith("bad-timeout"); n != 0 {
			t.Errorf("a call with a refused timeout ran %d times", n)
		}
	})

	t.Run("one async key, twenty at once", func(t *testing.T) {
		s := *s
		s.t = t
		key := "burst-" + runID
		ids := burst(&s, 20, func() (int, http.Header, string) {
			return submitAsync(&s, name, []byte(`{"tag":"idem-burst"}`), map[string]string{"Idempotency-Key": key})
		}, func(status int, h http.Header, body string) (string, error) {
			var j lambda.Job
			if status != http.StatusAccepted || json.Unmarshal([]byte(body), &j) != nil || j.ID == "" {
				return "", fmt.Errorf("%d %s, want 202 with a record", status, trimBody(body))
			}
			return j.ID, nil
		})
		if len(ids) != 1 {
			t.Fatalf("20 submissions with one key named %d invocations %v, want 1", len(ids), ids)
		}
		for id := range ids {
			waitJob(&s, id, 30*time.Second, ended)
		}
		time.Sleep(300 * time.Millisecond)
		if n := seenBy(&s, name).bodiesWith("idem-burst"); n != 1 {
			t.Errorf("the function ran %d times for one idempotency key, want 1", n)
		}
	})

	t.Run("one sync key, twenty at once", func(t *testing.T) {
		s := *s
		s.t = t
		key := "sync-burst-" + runID
		var mu sync.Mutex
		ok := 0
		ids := burst(&s, 20, func() (int, http.Header, string) {
			return apiCall(&s, "POST", "/v1/functions/"+name+"/invoke", []byte(`{"tag":"idem-sync-burst","sleep":"2s"}`), map[string]string{"Idempotency-Key": key})
		}, func(status int, h http.Header, body string) (string, error) {
			switch status {
			case http.StatusOK:
				mu.Lock()
				ok++
				mu.Unlock()
				return h.Get("X-Lambda-Request-Id"), nil
			case http.StatusConflict:
				return h.Get("X-Lambda-Invocation-Id"), nil
			}
			return "", fmt.Errorf("%d %s, want 200 for one and 409 for the others", status, trimBody(body))
		})
		if ok != 1 || len(ids) != 1 {
			t.Errorf("20 sync calls with one key: %d answered 200, invocations named %v; want one 200 and every 409 naming its ID", ok, ids)
		}
		if n := seenBy(&s, name).bodiesWith("idem-sync-burst"); n != 1 {
			t.Errorf("the function ran %d times for one idempotency key, want 1", n)
		}
	})

	t.Run("a key limited to another function", func(t *testing.T) {
		s := *s
		s.t = t
		dead := mustSubmit(&s, name, `{"tag":"hostile-dead","fail":-1}`)
		if j := waitJob(&s, dead, 30*time.Second, ended); j.Status != lambda.StatusDead {
			t.Fatalf("a job failing with max retries 0: %s, want dead (%s)", j.Status, describeAttempts(j))
		}
		other := s.fn("hostile-other")
		deployAsyncFn(&s, other)
		secret := func(scope string) map[string]string {
			var key struct{ Secret string }
			res := s.mustLambda("keys", "create", scope+"-"+other, "--scope", scope, "--function", other, "-o", "json")
			if err := json.Unmarshal([]byte(res.stdout), &key); err != nil || key.Secret == "" {
				t.Fatalf("keys create -o json: %v %s", err, res.stdout)
			}
			return map[string]string{"Authorization": "Bearer " + key.Secret}
		}
		read, invoke := secret("read"), secret("invoke")
		status, _, body := apiCall(&s, "GET", "/v1/invocations/"+dead, nil, read)
		if status != http.StatusNotFound || strings.Contains(body, name) || strings.Contains(body, "hostile-dead") {
			t.Errorf("GET another function's invocation by ID: %d %s, want 404 that names neither its function nor its event", status, trimBody(body))
		}
		// Through its own function's route, by the other's job ID.
		status, _, body = apiCall(&s, "POST", "/v1/functions/"+other+"/redrive", []byte(`{"ids":["`+dead+`"]}`), invoke)
		if status != http.StatusNotFound {
			t.Errorf("redrive another function's job through its own route: %d %s, want 404", status, trimBody(body))
		}
		// Through the other function's route.
		status, _, body = apiCall(&s, "POST", "/v1/functions/"+name+"/redrive", []byte(`{"all":true}`), invoke)
		if status != http.StatusForbidden {
			t.Errorf("redrive --all of a function the key does not cover: %d %s, want 403", status, trimBody(body))
		}
		if _, j, _ := getJob(&s, dead); j == nil || j.Status != lambda.StatusDead || j.Attempts != 1 {
			t.Errorf("the dead job after the refused redrives: %+v, want it dead after its one attempt", j)
		}
		s.mustLambda("delete", other)
	})
	s.mustLambda("delete", name)
}

// postBody posts body to path, chunked (no Content-Length) when asked.
func postBody(s *server, path, body string, chunked bool) (int, string) {
	s.t.Helper()
	var r io.Reader = strings.NewReader(body)
	if chunked {
		r = io.MultiReader(bytes.NewReader([]byte(body))) // hides the length from net/http
	}
	req, err := http.NewRequest("POST", s.url(path), r)
	if err != nil {
		s.t.Fatal(err)
	}
	if chunked && req.ContentLength != 0 {
		s.t.Fatalf("the chunked request has a length %d", req.ContentLength)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// burst makes n calls at once and returns the set of invocation IDs that
// check found in their answers; a call check refuses fails the test.
func burst(s *server, n int, call func() (int, http.Header, string), check func(int, http.Header, string) (string, error)) map[string]bool {
	s.t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		ids   = map[string]bool{}
		start = make(chan struct{})
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, h, body := call()
			id, err := check(status, h, body)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				s.t.Error(err)
				return
			}
			ids[id] = true
		}()
	}
	close(start)
	wg.Wait()
	return ids
}
