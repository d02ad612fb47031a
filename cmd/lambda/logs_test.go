package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

// logsAPI serves canned lines and records the queries it got.
func logsAPI(t *testing.T) (string, func() url.Values) {
	t.Helper()
	var mu sync.Mutex
	var last url.Values
	follows := 0
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 123e6, time.UTC)
	lines := []lambda.LogLine{
		{Time: t0, Function: "greet", Version: 2, Instance: "0123456789abcdef", Stream: "stdout", Invocation: "inv-1", Message: "hello"},
		{Time: t0.Add(time.Second), Function: "greet", Version: 2, Instance: "0123456789abcdef", Stream: "stderr", Message: "long", Truncated: true},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/functions/{name}/logs", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		last = r.URL.Query()
		mu.Unlock()
		if r.PathValue("name") != "greet" {
			w.WriteHeader(404)
			json.NewEncoder(w).Encode(lambdahttp.ErrorResponse{Error: lambdahttp.ErrorBody{Code: lambda.ENOTFOUND, Message: "function \"" + r.PathValue("name") + "\" not found"}})
			return
		}
		if r.URL.Query().Get("follow") == "1" {
			mu.Lock()
			follows++
			n := follows
			mu.Unlock()
			switch n {
			case 1: // the history, then the server "stops"
				w.Header().Set("Content-Type", lambdahttp.ContentTypeNDJSON)
				enc := json.NewEncoder(w)
				for _, l := range lines {
					enc.Encode(l)
				}
				enc.Encode(lambda.LogLine{Dropped: 7})
			case 2: // asked again at once: the server is still starting
				w.WriteHeader(503)
				json.NewEncoder(w).Encode(lambdahttp.ErrorResponse{Error: lambdahttp.ErrorBody{Code: lambda.EUNAVAILABLE, Message: "the server is starting"}})
			case 3: // restarted: what came since the last line, that one again included
				w.Header().Set("Content-Type", lambdahttp.ContentTypeNDJSON)
				enc := json.NewEncoder(w)
				enc.Encode(lines[1])
				enc.Encode(lambda.LogLine{Time: lines[1].Time.Add(time.Second), Function: "greet", Version: 2, Instance: "0123456789abcdef", Message: "after the restart"})
			default: // the function was deleted
				w.WriteHeader(404)
				json.NewEncoder(w).Encode(lambdahttp.ErrorResponse{Error: lambdahttp.ErrorBody{Code: lambda.ENOTFOUND, Message: "function \"greet\" not found"}})
			}
			return
		}
		json.NewEncoder(w).Encode(lambdahttp.LogList{Lines: lines})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, func() url.Values {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

func TestLogsCommand(t *testing.T) {
	api, last := logsAPI(t)
	out, errOut, code := runCLI(t, api, "", "logs", "greet", "--since", "2026-12-05T10:00:00Z", "--until", "2026-12-05T11:00:00Z", "--tail", "5", "--invocation", "inv-1", "--version", "2", "--instance", "0123456789ab")
	want := "2026-12-05T10:00:00.123Z v2 0123456789ab inv-1 hello\n2026-12-05T10:00:01.123Z v2 0123456789ab - long [truncated]\n"
	if code != 0 || out != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want %q", code, out, errOut, want)
	}
	q := last()
	for k, v := range map[string]string{"since": "2026-12-05T10:00:00Z", "until": "2026-12-05T11:00:00Z", "tail": "5", "invocation": "inv-1", "version": "2", "instance": "0123456789ab"} {
		if q.Get(k) != v {
			t.Errorf("query %s = %q, want %q (%v)", k, q.Get(k), v, q)
		}
	}

	out, _, code = runCLI(t, api, "", "logs", "greet", "-o", "json")
	var lines []lambda.LogLine
	if err := json.Unmarshal([]byte(out), &lines); code != 0 || err != nil || len(lines) != 2 || lines[0].Invocation != "inv-1" {
		t.Errorf("-o json: exit %d, %q, %v", code, out, err)
	}

	// -f prints as lines come and follows the server across a restart,
	// from its last line, printing nothing twice; it ends on an error.
	reconnectEvery = time.Millisecond
	out, errOut, code = runCLI(t, api, "", "logs", "greet", "-f", "--tail", "2")
	want = "2026-12-05T10:00:00.123Z v2 0123456789ab inv-1 hello\n2026-12-05T10:00:01.123Z v2 0123456789ab - long [truncated]\n" +
		"2026-12-05T10:00:02.123Z v2 0123456789ab - after the restart\n"
	if code == 0 || out != want || !strings.Contains(errOut, "7 lines dropped") || !strings.Contains(errOut, "went away") ||
		!strings.Contains(errOut, "reconnected") || !strings.Contains(errOut, "was deleted while its logs were followed") {
		t.Errorf("-f: exit %d, stdout %q, stderr %q; want stdout %q", code, out, errOut, want)
	}
	if q := last(); q.Get("follow") != "1" || q.Get("since") != "2026-12-05T09:59:52.123Z" || q.Get("tail") != "" {
		t.Errorf("the last reconnection asked %v; want to follow since %s before the last line, without tail", q, resumeWindow)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"logs", "nope"}, "not found"},
		{[]string{"logs", "greet", "--since", "yesterday"}, "--since"},
		{[]string{"logs", "greet", "--until", "tomorrow"}, "--until"},
		{[]string{"logs", "greet", "--tail", "-1"}, "--tail"},
		{[]string{"logs", "Bad_Name"}, "name"},
		{[]string{"logs", "greet", "-o", "yaml"}, "--output"},
	} {
		_, errOut, code := runCLI(t, api, "", tc.args...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("lambda %s: exit %d, stderr %q; want an error naming %q", strings.Join(tc.args, " "), code, errOut, tc.want)
		}
	}
}
