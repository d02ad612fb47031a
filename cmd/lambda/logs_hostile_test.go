package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

// storeAPI is a logs API over a list of lines in the order the server
// stored them, which is not their time order: each instance's collector
// appends on its own, and a collector behind a flood, or one catching up
// after a restart, appends lines older than others already stored. Each
// follow sends the stored lines since its since, then the script's next
// step runs and the stream ends as when the server stops.
type storeAPI struct {
	mu      sync.Mutex
	stored  []lambda.LogLine
	follows int
	script  []func(s *storeAPI) // run after follow i sent its history
	sinces  []string
}

func (a *storeAPI) handler(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.follows >= len(a.script) {
		w.WriteHeader(404)
		json.NewEncoder(w).Encode(lambdahttp.ErrorResponse{Error: lambdahttp.ErrorBody{Code: lambda.ENOTFOUND, Message: "function \"greet\" not found"}})
		return
	}
	var since time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		since, _ = time.Parse(time.RFC3339Nano, v)
	}
	a.sinces = append(a.sinces, r.URL.Query().Get("since"))
	w.Header().Set("Content-Type", lambdahttp.ContentTypeNDJSON)
	enc := json.NewEncoder(w)
	for _, l := range a.stored {
		if !l.Time.Before(since) {
			enc.Encode(l)
		}
	}
	a.script[a.follows](a)
	a.follows++
}

func at(t0 time.Time, ms int, instance, msg string) lambda.LogLine {
	return lambda.LogLine{Time: t0.Add(time.Duration(ms) * time.Millisecond), Function: "greet", Version: 1, Instance: instance, Stream: "stdout", Message: msg}
}

// `lambda logs -f` prints every line once, whatever order the server
// stored them in: a line older than one already printed (another
// instance's, stored late) is printed, not taken for a duplicate, and a
// line stored late while the server was away (an adopted instance's output
// read again from Docker after the restart) is printed after the
// reconnection.
func TestLogsFollowPrintsLinesStoredOutOfTimeOrder(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	a := &storeAPI{stored: []lambda.LogLine{
		at(t0, 100, "aaaaaaaaaaaaaaaa", "one"),
		at(t0, 300, "bbbbbbbbbbbbbbbb", "three"),
		at(t0, 200, "aaaaaaaaaaaaaaaa", "two"), // instance a's collector was behind
	}}
	a.script = []func(*storeAPI){
		func(a *storeAPI) { // the server stops; meanwhile, and as it restarts, more is stored
			a.stored = append(a.stored,
				at(t0, 400, "bbbbbbbbbbbbbbbb", "four"),
				at(t0, 250, "aaaaaaaaaaaaaaaa", "late"), // printed before the stop, read after the restart
			)
		},
		func(a *storeAPI) {},
	}
	srv := httptest.NewServer(http.HandlerFunc(a.handler))
	defer srv.Close()
	reconnectEvery = time.Millisecond

	out, errOut, _ := runCLI(t, srv.URL, "", "logs", "greet", "-f")
	for _, msg := range []string{"one", "three", "two", "four", "late"} {
		if n := strings.Count(out, " "+msg+"\n"); n != 1 {
			t.Errorf("printed %q %d times, want once", msg, n)
		}
	}
	if t.Failed() {
		t.Logf("stdout:\n%s\nstderr:\n%s\nsinces asked: %q", out, errOut, a.sinces)
	}
}

// A function's output is printed by lambda logs as text on the user's
// terminal: control characters in it are shown escaped, so that a
// function cannot move the cursor back over the columns the CLI prints
// (time, version, instance, invocation) and pass its text off as another
// invocation's, nor send the terminal escape sequences. -o json keeps the
// message as it is.
func TestLogsTextEscapesControlCharacters(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	forged := "ok\r2026-12-05T10:00:00.000Z v1 bbbbbbbbbbbb other-invocation secret\x1b[2K\x1b]0;title\x07\u009b31m\x00end\tTab ünïcödé"
	lines := []lambda.LogLine{at(t0, 0, "aaaaaaaaaaaaaaaa", forged)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(lambdahttp.LogList{Lines: lines})
	}))
	defer srv.Close()

	out, errOut, code := runCLI(t, srv.URL, "", "logs", "greet")
	want := `2026-12-05T10:00:00.000Z v1 aaaaaaaaaaaa - ok\r2026-12-05T10:00:00.000Z v1 bbbbbbbbbbbb other-invocation secret\x1b[2K\x1b]0;title\x07\u009b31m\x00end` + "\tTab ünïcödé\n"
	if code != 0 || out != want {
		t.Errorf("exit %d, stderr %q\nstdout %q\nwant   %q", code, errOut, out, want)
	}
	out, _, _ = runCLI(t, srv.URL, "", "logs", "greet", "-o", "json")
	var got []lambda.LogLine
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 || got[0].Message != forged {
		t.Errorf("-o json: %q, %v; want the message unchanged", out, err)
	}
}

// What a follow remembers to skip lines printed already stays bounded
// under a flood: past maxSeenLines it forgets the oldest and resumes
// after them, so that it never prints a line twice.
func TestLogsFollowRemembersABoundedWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	s := newSeenLines()
	for i := range maxSeenLines + 1000 {
		l := at(t0, 0, "aaaaaaaaaaaaaaaa", "f")
		l.Time = l.Time.Add(time.Duration(i) * time.Microsecond)
		if !s.add(&l) {
			t.Fatalf("line %d taken for a duplicate", i)
		}
	}
	if n := len(s.keys); n > maxSeenLines {
		t.Errorf("remembers %d lines, want at most %d", n, maxSeenLines)
	}
	if want := t0.Add(999*time.Microsecond + time.Nanosecond); !s.since().Equal(want) {
		t.Errorf("resumes at %v, want %v: after the lines it forgot", s.since(), want)
	}
	// A minute later, only the last resumeWindow is remembered.
	l := at(t0, 60_000, "aaaaaaaaaaaaaaaa", "later")
	s.add(&l)
	if n := len(s.keys); n != 1 || !s.since().Equal(l.Time.Add(-resumeWindow)) {
		t.Errorf("a minute later: remembers %d lines, resumes at %v", n, s.since())
	}
	if dup := l; s.add(&dup) {
		t.Error("the same line was printed twice")
	}
}

// A function deleted while its logs are followed: the server ends the
// stream, as when it stops; the follow asks again at once and says the
// function was deleted, rather than that the server went away.
func TestLogsFollowOfADeletedFunction(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	a := &storeAPI{stored: []lambda.LogLine{at(t0, 100, "aaaaaaaaaaaaaaaa", "one")}}
	a.script = []func(*storeAPI){func(*storeAPI) {}} // then 404
	srv := httptest.NewServer(http.HandlerFunc(a.handler))
	defer srv.Close()
	defer func(d time.Duration) { reconnectEvery = d }(reconnectEvery)
	reconnectEvery = time.Hour // an immediate question, not a retry

	out, errOut, code := runCLI(t, srv.URL, "", "logs", "greet", "-f")
	if code == 0 || !strings.Contains(out, " one\n") || !strings.Contains(errOut, `"greet" was deleted while its logs were followed`) || strings.Contains(errOut, "went away") {
		t.Errorf("exit %d, stdout %q, stderr %q; want the line, then an error saying the function was deleted", code, out, errOut)
	}
}
