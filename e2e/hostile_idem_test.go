package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Hostile findings on idempotency keys and payloads, against the real
// server, CLI and Docker: a key must never run a function twice, whatever
// the caller or the server does meanwhile.

// idemCall sends a control API request whose Idempotency-Key headers are
// keys, one header each, with client's timeout; err is the client's.
func idemCall(s *server, client *http.Client, method, path string, body []byte, keys ...string) (int, http.Header, string, error) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url(path), strings.NewReader(string(body)))
	if err != nil {
		s.t.Fatal(err)
	}
	for _, k := range keys {
		req.Header.Add("Idempotency-Key", k)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), nil
}

// TestHostileIdemCallerGone: a client that times out on a keyed call and
// retries with the same key (the case keys exist for) gets 409 naming the
// first invocation while it still runs, then its stored answer replayed;
// the function ran once.
func TestHostileIdemCallerGone(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("idemgone")
	deployAsyncFn(s, name, "--max-instances", "2")
	path := "/v1/functions/" + name + "/invoke"
	key := "disc-" + runID
	event := []byte(`{"tag":"idem-gone","sleep":"4s"}`)

	impatient := &http.Client{Timeout: time.Second}
	if _, _, _, err := idemCall(s, impatient, "POST", path, event, key); err == nil || !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "Timeout") {
		t.Fatalf("a call with a 1s client timeout to a function sleeping 4s: %v, want the client's timeout", err)
	}
	status, h, body, err := idemCall(s, http.DefaultClient, "POST", path, event, key)
	if err != nil {
		t.Fatal(err)
	}
	first := h.Get("X-Lambda-Invocation-Id")
	if status != http.StatusConflict || first == "" || !strings.Contains(body, first) {
		t.Fatalf("the retry while the first call runs, its client gone: %d %v %s; want 409 naming it in X-Lambda-Invocation-Id", status, h, body)
	}
	var replay struct {
		status int
		header http.Header
		body   string
	}
	waitFor(t, 20*time.Second, func() bool {
		replay.status, replay.header, replay.body, err = idemCall(s, http.DefaultClient, "POST", path, event, key)
		return err == nil && replay.status != http.StatusConflict
	})
	if replay.status != 200 || replay.header.Get("X-Lambda-Idempotent-Replay") != "true" || replay.header.Get("X-Lambda-Request-Id") != first || !strings.Contains(replay.body, "idem-gone") {
		t.Errorf("the retry once the first call ended: %d %v %s; want 200, its answer replayed", replay.status, replay.header, replay.body)
	}
	if n := seenBy(s, name).bodiesWith("idem-gone"); n != 1 {
		t.Errorf("the function ran %d times for one idempotency key, want 1", n)
	}
}

// TestHostileIdemSIGKILL: a server killed during a keyed call leaves the
// key bound to a failure that says the outcome is unknown: a repeat after
// the restart replays it (naming the invocation) and does not run the
// function again. The function reports each request it gets to the test.
func TestHostileIdemSIGKILL(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	rep := newIDReporter(t)
	s := startServer(t)
	name := s.fn("idemkill")
	deployAsyncFn(s, name, "--env", "REPORT_PORT="+strconv.Itoa(rep.port))
	path := "/v1/functions/" + name + "/invoke"
	event := []byte(`{"tag":"idem-kill","sleep":"10s"}`)
	key := "kill-" + runID

	go func() { _, _, _, _ = idemCall(s, http.DefaultClient, "POST", path, event, key) }()
	waitFor(t, 60*time.Second, func() bool { return rep.count() == 1 })
	var id string
	rep.mu.Lock()
	for k := range rep.seen {
		id = k
	}
	rep.mu.Unlock()
	s.kill()
	s.start()

	status, h, body, err := idemCall(s, http.DefaultClient, "POST", path, event, key)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusServiceUnavailable || h.Get("X-Lambda-Idempotent-Replay") != "true" || h.Get("X-Lambda-Invocation-Id") != id ||
		!strings.Contains(body, "unknown") || !strings.Contains(body, "new key") {
		t.Errorf("the repeat after a SIGKILL during the call: %d %v %s; want 503 replayed, naming %s, the outcome unknown", status, h, body, id)
	}
	st, j, b := getJob(s, id)
	if st != 200 || j.Status != "failed" || j.Version != 1 || !strings.Contains(j.ErrorMessage, "version 1") {
		t.Errorf("the record of the cut call: %d %s", st, b)
	}
	time.Sleep(time.Second) // a run would have reported by now
	if n := rep.count(); n != 1 {
		t.Errorf("the function got %d requests, want 1: the key ran it again after the restart", n)
	}
}

// TestHostileIdemPayloads: no body is {} on every path, so one key means
// one event sync and async; a key is counted in characters and refused
// when repeated or holding a control character; a key used with another
// payload names its invocation, sync and async; an async event that is
// not UTF-8 is refused.
func TestHostileIdemPayloads(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("idempay")
	deployAsyncFn(s, name)
	invoke := "/v1/functions/" + name + "/invoke"
	submit := "/v1/functions/" + name + "/invocations"
	c := http.DefaultClient

	t.Run("empty body is {} sync and async", func(t *testing.T) {
		s := *s
		s.t = t
		key := "empty-" + runID
		status, h, body, err := idemCall(&s, c, "POST", invoke, nil, key)
		if err != nil || status != 200 {
			t.Fatalf("empty body with a key: %d %s %v", status, body, err)
		}
		id := h.Get("X-Lambda-Request-Id")
		if got := seenBy(&s, name).Requests[id].Bodies; len(got) != 1 || got[0] != "{}" {
			t.Errorf("the function got %q for an empty body, want {}", got)
		}
		status, h, body, _ = idemCall(&s, c, "POST", invoke, []byte(" \n"), key)
		if status != 200 || h.Get("X-Lambda-Idempotent-Replay") != "true" {
			t.Errorf("white space with the same key: %d %v %s; want the replay", status, h, body)
		}
		status, h, body, _ = idemCall(&s, c, "POST", submit, nil, key)
		var j struct{ ID string }
		_ = json.Unmarshal([]byte(body), &j)
		if status != http.StatusAccepted || j.ID != id || h.Get("X-Lambda-Idempotent-Replay") != "true" {
			t.Errorf("an empty async submission with the key of an empty sync call: %d %s; want 202 naming %s", status, body, id)
		}
	})

	t.Run("keys", func(t *testing.T) {
		s := *s
		s.t = t
		status, _, body, _ := idemCall(&s, c, "POST", invoke, []byte(`{"tag":"two-keys"}`), "a-"+runID, "b-"+runID)
		if status != 400 || !strings.Contains(body, "2 Idempotency-Key headers") {
			t.Errorf("two Idempotency-Key headers: %d %s; want 400", status, body)
		}
		status, _, body, _ = idemCall(&s, c, "POST", submit, []byte(`{"tag":"two-keys"}`), "a-"+runID, "b-"+runID)
		if status != 400 || !strings.Contains(body, "2 Idempotency-Key headers") {
			t.Errorf("two Idempotency-Key headers, async: %d %s; want 400", status, body)
		}
		if n := seenBy(&s, name).bodiesWith("two-keys"); n != 0 {
			t.Errorf("a refused call ran %d times", n)
		}
		long := runID + strings.Repeat("é", 256-len(runID))
		if status, _, body, _ := idemCall(&s, c, "POST", invoke, []byte(`{"tag":"long-key"}`), long); status != 200 {
			t.Errorf("a key of 256 characters (%d bytes): %d %s; want 200", len(long), status, body)
		}
		if status, _, body, _ := idemCall(&s, c, "POST", submit, []byte(`{}`), long+"é"); status != 400 || !strings.Contains(body, "257 characters long") {
			t.Errorf("a key of 257 characters: %d %s; want 400 counting characters", status, body)
		}
		if status, _, body, _ := idemCall(&s, c, "POST", invoke, []byte(`{}`), "a\tb"+runID); status != 400 || !strings.Contains(body, "control character") {
			t.Errorf("a key with a tab: %d %s; want 400", status, body)
		}
		res := s.lambda("invoke", name, "--idempotency-key", "a\x01b", "--data", `{"tag":"ctl-key"}`)
		if res.code == 0 || !strings.Contains(res.stderr, "--idempotency-key has a control character") || strings.Contains(res.stderr, "net/http") {
			t.Errorf("lambda invoke with a control character in the key: exit %d\n%s", res.code, res.stderr)
		}
	})

	t.Run("another payload names the invocation", func(t *testing.T) {
		s := *s
		s.t = t
		key := "other-" + runID
		_, h, _, _ := idemCall(&s, c, "POST", invoke, []byte(`{"tag":"first"}`), key)
		first := h.Get("X-Lambda-Request-Id")
		status, h, body, _ := idemCall(&s, c, "POST", invoke, []byte(`{"tag":"second"}`), key)
		if status != 422 || first == "" || h.Get("X-Lambda-Invocation-Id") != first {
			t.Errorf("sync, another payload: %d %v %s; want 422 naming %s", status, h, body, first)
		}
		akey := "other-async-" + runID
		_, _, body, _ = idemCall(&s, c, "POST", submit, []byte(`{"tag":"first"}`), akey)
		var j struct{ ID string }
		_ = json.Unmarshal([]byte(body), &j)
		status, h, body, _ = idemCall(&s, c, "POST", submit, []byte(`{"tag":"second"}`), akey)
		if status != 422 || j.ID == "" || h.Get("X-Lambda-Invocation-Id") != j.ID {
			t.Errorf("async, another payload: %d %v %s; want 422 naming %s", status, h, body, j.ID)
		}
	})

	t.Run("async payload not UTF-8", func(t *testing.T) {
		s := *s
		s.t = t
		before := len(listJobs(&s, name, "limit=1000"))
		status, _, body, _ := idemCall(&s, c, "POST", submit, []byte("{\"tag\":\"caf\xe9\"}"))
		if status != 400 || !strings.Contains(body, "UTF-8") {
			t.Errorf("an event that is not UTF-8: %d %s; want 400", status, body)
		}
		if after := len(listJobs(&s, name, "limit=1000")); after != before {
			t.Errorf("%d jobs queued by a refused event", after-before)
		}
	})
}
