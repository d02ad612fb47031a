package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestIdempotency: a repeated Idempotency-Key replays a synchronous
// invocation's result without running the function again, names the same
// job for an asynchronous one, refuses another payload (422) and, while
// the first call still runs, answers 409 with its ID.
func TestIdempotency(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("idem")
	deployAsyncFn(s, name)
	key := func(k string) string { return k + "-" + runID }
	invokePath := "/v1/functions/" + name + "/invoke"

	t.Run("sync", func(t *testing.T) {
		s := *s
		s.t = t
		k := key("sync")
		first := s.mustLambda("invoke", name, "--idempotency-key", k, "--data", `{"tag":"idem-sync"}`)
		second := s.mustLambda("invoke", name, "--idempotency-key", k, "--data", `{"tag":"idem-sync"}`)
		if first.stdout != second.stdout || !strings.Contains(first.stdout, "idem-sync") {
			t.Errorf("the repeated invoke printed\n%s\nthe first\n%s", second.stdout, first.stdout)
		}
		status, h, body := apiCall(&s, "POST", invokePath, []byte(`{"tag":"idem-sync"}`), map[string]string{"Idempotency-Key": k})
		if status != 200 || h.Get("X-Lambda-Idempotent-Replay") != "true" || strings.TrimSpace(body) != strings.TrimSpace(first.stdout) {
			t.Errorf("API replay: %d replay header %q body %s; want 200, true, the first body %s", status, h.Get("X-Lambda-Idempotent-Replay"), body, first.stdout)
		}
		if n := seenBy(&s, name).bodiesWith("idem-sync"); n != 1 {
			t.Errorf("the function ran %d times for one idempotency key, want 1", n)
		}
		// A first call is not a replay.
		status, h, _ = apiCall(&s, "POST", invokePath, []byte(`{"tag":"idem-sync-2"}`), map[string]string{"Idempotency-Key": key("sync-2")})
		if status != 200 || h.Get("X-Lambda-Idempotent-Replay") == "true" {
			t.Errorf("a first call with a new key: %d, replay header %q", status, h.Get("X-Lambda-Idempotent-Replay"))
		}

		// Another payload under the same key is refused, and nothing runs.
		status, _, body = apiCall(&s, "POST", invokePath, []byte(`{"tag":"idem-sync-other"}`), map[string]string{"Idempotency-Key": k})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, "idempotency") {
			t.Errorf("same key, another payload: %d %s, want 422 naming the idempotency key", status, body)
		}
		if res := s.lambda("invoke", name, "--idempotency-key", k, "--data", `{"tag":"idem-sync-other"}`); res.code == 0 || !strings.Contains(strings.ToLower(res.stderr), "idempotency") {
			t.Errorf("lambda invoke, same key, another payload: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		if n := seenBy(&s, name).bodiesWith("idem-sync-other"); n != 0 {
			t.Errorf("a refused payload ran %d times", n)
		}

		// While the first call runs, a repeat is 409 with its ID.
		k = key("sync-running")
		type answer struct {
			status int
			header http.Header
			body   string
		}
		done := make(chan answer, 1)
		go func() {
			st, h, b := apiCall(&s, "POST", invokePath, []byte(`{"tag":"idem-slow","sleep":"5s"}`), map[string]string{"Idempotency-Key": k})
			done <- answer{st, h, b}
		}()
		waitFor(t, 20*time.Second, func() bool { return seenBy(&s, name).bodiesWith("idem-slow") == 1 })
		status, _, body = apiCall(&s, "POST", invokePath, []byte(`{"tag":"idem-slow","sleep":"5s"}`), map[string]string{"Idempotency-Key": k})
		var a answer
		select {
		case a = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("the slow invocation did not answer within 30s")
		}
		var firstAnswer struct{ ID string }
		_ = json.Unmarshal([]byte(a.body), &firstAnswer)
		if a.status != 200 || firstAnswer.ID == "" {
			t.Fatalf("the slow invocation: %d %s", a.status, a.body)
		}
		if status != http.StatusConflict || !strings.Contains(body, firstAnswer.ID) {
			t.Errorf("a repeat while the first runs: %d %s, want 409 naming %s", status, body, firstAnswer.ID)
		}
		if n := seenBy(&s, name).bodiesWith("idem-slow"); n != 1 {
			t.Errorf("the slow function ran %d times, want 1", n)
		}
	})

	t.Run("async", func(t *testing.T) {
		s := *s
		s.t = t
		k := key("async")
		event := []byte(`{"tag":"idem-async"}`)
		st1, _, b1 := submitAsync(&s, name, event, map[string]string{"Idempotency-Key": k})
		st2, _, b2 := submitAsync(&s, name, event, map[string]string{"Idempotency-Key": k})
		var j1, j2 lambda.Job
		_ = json.Unmarshal([]byte(b1), &j1)
		_ = json.Unmarshal([]byte(b2), &j2)
		if st1 != http.StatusAccepted || j1.ID == "" || (st2 != http.StatusAccepted && st2 != http.StatusOK) || j2.ID != j1.ID {
			t.Fatalf("two submissions with one key: %d %s, then %d %s; want the same ID", st1, b1, st2, b2)
		}
		// The CLI names the same job.
		res := s.mustLambda("invoke", name, "--async", "--idempotency-key", k, "--data", string(event))
		if got := strings.TrimSpace(res.stdout); got != j1.ID {
			t.Errorf("lambda invoke --async with the same key printed %q, want %s", got, j1.ID)
		}
		waitJob(&s, j1.ID, 30*time.Second, ended)
		// Once ended, still the same job, not a new run.
		st3, _, b3 := submitAsync(&s, name, event, map[string]string{"Idempotency-Key": k})
		var j3 lambda.Job
		_ = json.Unmarshal([]byte(b3), &j3)
		if j3.ID != j1.ID {
			t.Errorf("a submission with the key after the job ended: %d %s, want %s", st3, b3, j1.ID)
		}
		before := len(listJobs(&s, name, "limit=1000"))
		status, _, body := submitAsync(&s, name, []byte(`{"tag":"idem-async-other"}`), map[string]string{"Idempotency-Key": k})
		if status != http.StatusUnprocessableEntity {
			t.Errorf("same key, another event: %d %s, want 422", status, body)
		}
		time.Sleep(500 * time.Millisecond) // a wrongly queued job would have run by now on the warm instance
		seen := seenBy(&s, name)
		if n := seen.bodiesWith("idem-async"); n != 1 || seen.Requests[j1.ID].Count != 1 {
			t.Errorf("the function ran the idempotent job %d times (%d under its ID), want 1", n, seen.Requests[j1.ID].Count)
		}
		if l := listJobs(&s, name, "limit=1000"); countID(l, j1.ID) != 1 || len(l) != before {
			t.Errorf("listing after a refused submission: %d jobs, %d of them %s; want %d and 1", len(l), countID(l, j1.ID), j1.ID, before)
		}
	})
	s.mustLambda("delete", name)
}

func countID(jobs []lambda.Job, id string) int {
	n := 0
	for _, j := range jobs {
		if j.ID == id {
			n++
		}
	}
	return n
}
