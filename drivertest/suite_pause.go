package drivertest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// testPause: a paused instance is listed as paused and running, answers
// nothing while frozen, and once unpaused answers the request it held and
// serves on a keep-alive connection opened before the pause (the platform's
// gateway keeps such connections to its instances). Pausing twice or
// unpausing a running instance is not an error; a paused instance stops.
func (s *suite) testPause(t *testing.T) {
	inst := s.start(t, s.tag, "paused", nil)
	if !s.pausable {
		wantCode(t, "PauseInstance on a driver that cannot pause", s.d.PauseInstance(testContext(t), inst.ID), lambda.ENOTIMPLEMENTED)
		return
	}
	s.get(t, inst.Addr, "/ready") // listening
	kept := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer kept.CloseIdleConnections()
	if body, _ := keptGet(t, kept, inst.Addr, "/before"); body != "GET /before " {
		t.Fatalf("GET /before answered %q", body)
	}

	for i := range 2 {
		if err := s.d.PauseInstance(testContext(t), inst.ID); err != nil {
			t.Fatalf("PauseInstance #%d: %v", i+1, err)
		}
	}
	if listed := s.findInstance(t, inst.ID); listed == nil || !listed.Paused || !listed.Running {
		t.Fatalf("ListInstances shows the paused instance as %+v, want Running and Paused", listed)
	}

	// A request sent while it is frozen is held, not refused nor answered.
	held := make(chan string, 1)
	go func() {
		c := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get("http://" + inst.Addr + "/held")
		if err != nil {
			held <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		held <- string(b)
	}()
	select {
	case got := <-held:
		t.Fatalf("a paused instance answered %q", got)
	case <-time.After(300 * time.Millisecond):
	}

	for i := range 2 {
		if err := s.d.UnpauseInstance(testContext(t), inst.ID); err != nil {
			t.Fatalf("UnpauseInstance #%d: %v", i+1, err)
		}
	}
	select {
	case got := <-held:
		if got != "GET /held " {
			t.Errorf("the request held by the pause was answered %q", got)
		}
	case <-time.After(time.Minute):
		t.Fatal("the request held by the pause got no answer after the unpause")
	}
	body, reused := keptGet(t, kept, inst.Addr, "/after")
	if body != "GET /after " || !reused {
		t.Errorf("after the unpause, the keep-alive connection answered %q (reused %v), want the echo on the same connection", body, reused)
	}
	if listed := s.findInstance(t, inst.ID); listed == nil || listed.Paused || !listed.Running {
		t.Errorf("ListInstances shows the unpaused instance as %+v, want Running, not Paused", listed)
	}

	// A paused instance stops like a running one.
	if err := s.d.PauseInstance(testContext(t), inst.ID); err != nil {
		t.Fatalf("PauseInstance before the stop: %v", err)
	}
	if err := s.d.StopInstance(testContext(t), inst.ID, time.Second); err != nil {
		t.Fatalf("StopInstance of a paused instance: %v", err)
	}
	if s.findInstance(t, inst.ID) != nil {
		t.Error("ListInstances still lists a paused instance after StopInstance")
	}
	wantCode(t, "PauseInstance of a removed instance", s.d.PauseInstance(testContext(t), inst.ID), lambda.ENOTFOUND)
	wantCode(t, "UnpauseInstance of a removed instance", s.d.UnpauseInstance(testContext(t), inst.ID), lambda.ENOTFOUND)
	missing := strings.Repeat("0", 64)
	wantCode(t, "PauseInstance of a missing instance", s.d.PauseInstance(testContext(t), missing), lambda.ENOTFOUND)
}

// keptGet sends a GET on c and reports whether it went on a reused
// connection.
func keptGet(t *testing.T, c *http.Client, addr, path string) (string, bool) {
	t.Helper()
	var reused bool
	ctx, cancel := context.WithTimeout(testContext(t), 30*time.Second)
	defer cancel()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), reused
}
