package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// seedJobs adds, for greet, a succeeded, a dead and a queued invocation,
// and one of another function.
func seedJobs(api *fakeAPI) {
	start := fakeT0.Add(time.Minute)
	api.jobs.add(lambda.Job{ID: "inv-ok", Function: "greet", Status: lambda.StatusSucceeded, Attempts: 1, StartedAt: &start, Duration: lambda.Duration(12 * time.Millisecond)})
	api.jobs.add(lambda.Job{ID: "inv-dead", Function: "greet", Status: lambda.StatusDead, Trigger: lambda.TriggerCron, Attempts: 3, StartedAt: &start, Duration: lambda.Duration(1500 * time.Millisecond)})
	api.jobs.add(lambda.Job{ID: "inv-other", Function: "hello", Status: lambda.StatusQueued})
	api.jobs.add(lambda.Job{ID: "inv-new", Function: "greet", Status: lambda.StatusQueued, Trigger: lambda.TriggerAPI})
}

func TestInvocations(t *testing.T) {
	usage := "Usage: lambda invocations NAME [flags]\nRun 'lambda invocations --help' for more information.\n"
	// The cursor after inv-dead, the second job seeded (seq 2).
	afterDead := lambda.CursorAfter(&lambda.Job{CreatedAt: fakeT0.Add(time.Second), Seq: 2}).String()
	more := "More invocations: add --cursor " + afterDead + " for the next page, or --all for every one.\n"
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantOut   string
		wantErr   string
		wantQuery string
	}{
		{"table, newest first", []string{"invocations", "greet"}, 0,
			"ID         STATUS      TRIGGER   ATTEMPTS   STARTED                DURATION\n" +
				"inv-new    queued      api       0          -                      -\n" +
				"inv-dead   dead        cron      3          2026-12-05T10:01:00Z   1.5s\n" +
				"inv-ok     succeeded   async     1          2026-12-05T10:01:00Z   12ms\n", "", "limit=50"},
		{"status and limit", []string{"invocations", "greet", "--status", "dead", "--limit", "1"}, 0,
			"ID         STATUS   TRIGGER   ATTEMPTS   STARTED                DURATION\n" +
				"inv-dead   dead     cron      3          2026-12-05T10:01:00Z   1.5s\n",
			more, "limit=1&status=dead"},
		{"none", []string{"invocations", "greet", "--status", "retrying"}, 0, "", "No retrying invocations of \"greet\": queue one with \"lambda invoke greet --async\".\n", "limit=50&status=retrying"},
		{"unknown function", []string{"invocations", "nope"}, 1, "", "Error: function \"nope\" not found\n", "limit=50"},
		{"bad status", []string{"invocations", "greet", "--status", "done"}, 1, "",
			"Error: --status \"done\" is not a status: use one of queued, running, retrying, succeeded, failed, dead\n" + usage, ""},
		{"bad since", []string{"invocations", "greet", "--since", "yesterday"}, 1, "",
			"Error: --since \"yesterday\" is invalid: use a duration back from now such as 30m, 24h or 7d, or an RFC 3339 time such as 2026-12-05T10:00:00Z\n" + usage, ""},
		{"bad cursor", []string{"invocations", "greet", "--cursor", "2026-12-05T10:00:00Z"}, 1, "",
			"Error: --cursor \"2026-12-05T10:00:00Z\" is not a cursor a listing printed: copy it from the \"More invocations\" line, or leave it out for the newest\n" + usage, ""},
		{"the next page", []string{"invocations", "greet", "--limit", "2", "--cursor", afterDead}, 0,
			"ID       STATUS      TRIGGER   ATTEMPTS   STARTED                DURATION\n" +
				"inv-ok   succeeded   async     1          2026-12-05T10:01:00Z   12ms\n", "", "cursor=" + afterDead + "&limit=2"},
		{"bad limit", []string{"invocations", "greet", "--limit", "0"}, 1, "", "Error: --limit 0 is out of range: use 1 to 1000\n" + usage, ""},
		{"since a time", []string{"invocations", "greet", "--since", "2026-12-05T09:00:00Z", "--limit", "2"}, 0,
			"ID         STATUS   TRIGGER   ATTEMPTS   STARTED                DURATION\n" +
				"inv-new    queued   api       0          -                      -\n" +
				"inv-dead   dead     cron      3          2026-12-05T10:01:00Z   1.5s\n",
			more, "limit=2&since=2026-12-05T09%3A00%3A00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, url := newFakeAPI(t)
			seedJobs(api)
			stdout, stderr, code := runCLI(t, url, "", tt.args...)
			if code != tt.wantCode || stdout != tt.wantOut || stderr != tt.wantErr {
				t.Errorf("got exit %d\nstdout %q\nstderr %q\nwant exit %d\nstdout %q\nstderr %q", code, stdout, stderr, tt.wantCode, tt.wantOut, tt.wantErr)
			}
			if api.jobs.lastQuery != tt.wantQuery {
				t.Errorf("query %q, want %q", api.jobs.lastQuery, tt.wantQuery)
			}
		})
	}
}

func TestInvocationsSinceDuration(t *testing.T) {
	api, url := newFakeAPI(t)
	before := time.Now()
	if _, stderr, code := runCLI(t, url, "", "invocations", "greet", "--since", "90m"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	q := api.jobs.lastQuery
	i := strings.Index(q, "since=")
	if i < 0 {
		t.Fatalf("query %q has no since", q)
	}
	raw := strings.ReplaceAll(q[i+len("since="):], "%3A", ":")
	since, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		t.Fatal(err)
	}
	if d := before.Sub(since); d < 90*time.Minute-time.Second || d > 90*time.Minute+time.Second {
		t.Errorf("since %s is %s before now, want 90m", since, d)
	}
}

// TestInvocationsAll: --all follows the pages, --limit at a time, to the
// end, and prints them as one listing.
func TestInvocationsAll(t *testing.T) {
	api, url := newFakeAPI(t)
	for i := range 5 {
		api.jobs.add(lambda.Job{ID: fmt.Sprintf("j%d", i), Function: "greet", Status: lambda.StatusDead})
	}
	stdout, stderr, code := runCLI(t, url, "", "invocations", "greet", "--all", "--limit", "2", "-o", "json")
	var jobs []lambda.Job
	if err := json.Unmarshal([]byte(stdout), &jobs); code != 0 || err != nil || stderr != "" {
		t.Fatalf("exit %d, %v: %s %s", code, err, stdout, stderr)
	}
	var ids []string
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	if strings.Join(ids, ",") != "j4,j3,j2,j1,j0" {
		t.Errorf("listed %v", ids)
	}
	if n := len(api.jobs.queries); n != 3 {
		t.Errorf("%d requests (%v), want 3 pages of 2", n, api.jobs.queries)
	}
	// Without --limit, --all takes the largest pages.
	if _, stderr, code := runCLI(t, url, "", "invocations", "greet", "--all"); code != 0 || api.jobs.lastQuery != "limit=1000" {
		t.Errorf("--all: exit %d %s, query %q, want limit=1000", code, stderr, api.jobs.lastQuery)
	}
}

// TestInvocationsSinceDays: --since takes days, as --invocation-retention.
func TestInvocationsSinceDays(t *testing.T) {
	api, url := newFakeAPI(t)
	if _, stderr, code := runCLI(t, url, "", "invocations", "greet", "--since", "7d"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	q, err := neturl.ParseQuery(api.jobs.lastQuery)
	if err != nil {
		t.Fatal(err)
	}
	since, err := time.Parse(time.RFC3339Nano, q.Get("since"))
	if d := time.Since(since); err != nil || d < 7*24*time.Hour || d > 7*24*time.Hour+time.Minute {
		t.Errorf("since %q: %v, %s ago; want 7d", q.Get("since"), err, d)
	}
}

func TestInvocationsJSON(t *testing.T) {
	api, url := newFakeAPI(t)
	seedJobs(api)
	stdout, stderr, code := runCLI(t, url, "", "invocations", "greet", "-o", "json")
	var jobs []lambda.Job
	if err := json.Unmarshal([]byte(stdout), &jobs); code != 0 || err != nil {
		t.Fatalf("exit %d, %v: %s %s", code, err, stdout, stderr)
	}
	if len(jobs) != 3 || jobs[0].ID != "inv-new" || jobs[2].Status != lambda.StatusSucceeded {
		t.Errorf("jobs %+v", jobs)
	}
	// An empty listing is still JSON.
	stdout, _, code = runCLI(t, url, "", "invocations", "greet", "--status", "failed", "-o", "json")
	if code != 0 || strings.TrimSpace(stdout) != "[]" {
		t.Errorf("empty listing: exit %d, %q", code, stdout)
	}
}

func TestInvocation(t *testing.T) {
	api, url := newFakeAPI(t)
	start, end := fakeT0.Add(time.Minute), fakeT0.Add(time.Minute+30*time.Millisecond)
	api.jobs.add(lambda.Job{
		ID: "inv-1", Function: "greet", Version: 3, Status: lambda.StatusDead, Trigger: lambda.TriggerAsync, Attempts: 2,
		StartedAt: &start, FinishedAt: &end, Duration: lambda.Duration(30 * time.Millisecond), HTTPStatus: 500,
		IdempotencyKey: "order-7", FunctionError: "Unhandled", ErrorType: lambda.EFUNCTION, ErrorMessage: "boom",
		Payload: []byte(`{"n":1}`), Response: []byte(`{"errorMessage":"boom"}`),
		History: []lambda.JobAttempt{
			{Attempt: 1, Counted: true, Start: start, Duration: lambda.Duration(20 * time.Millisecond), Version: 3, Status: lambda.StatusFailed, HTTPStatus: 500, Cold: true, ErrorType: lambda.EFUNCTION, Error: "boom", Logs: "starting\npanic: boom\n"},
			{Attempt: 1, Counted: false, Start: start.Add(time.Second), Duration: 0, Status: lambda.StatusFailed, ErrorType: lambda.ETHROTTLED, Error: "at capacity"},
			{Attempt: 2, Counted: true, Start: start.Add(time.Minute), Duration: lambda.Duration(30 * time.Millisecond), Version: 3, Status: lambda.StatusFailed, HTTPStatus: 500, ErrorType: lambda.EFUNCTION, Error: "boom"},
		},
	})
	want := `ID:                inv-1
Function:          greet (version 3)
Status:            dead
Trigger:           async
Attempts:          2
Created:           2026-12-05T10:00:00Z (`
	for _, args := range [][]string{{"invocation", "inv-1"}, {"invocations", "get", "inv-1"}} {
		stdout, stderr, code := runCLI(t, url, "", args...)
		if code != 0 || !strings.HasPrefix(stdout, want) || stderr != "" {
			t.Fatalf("%v: exit %d\nstdout %s\nstderr %s", args, code, stdout, stderr)
		}
		rest := stdout[strings.Index(stdout, "ago)\n")+len("ago)\n"):]
		wantRest := `Started:           2026-12-05T10:01:00Z
Finished:          2026-12-05T10:01:00Z
Duration:          30ms
HTTP status:       500
Idempotency key:   order-7
Error:             function_error Unhandled: boom

Response:
{"errorMessage":"boom"}

Event:
{"n":1}

Attempt 1: failed, 2026-12-05T10:01:00Z, 20ms, version 3, HTTP 500, cold start, function_error
  Error: boom
  Logs:
    starting
    panic: boom

Attempt 1: failed, 2026-12-05T10:01:01Z, 0s, throttled, not counted (throttled or platform error: retried without using a retry)
  Error: at capacity

Attempt 2: failed, 2026-12-05T10:02:00Z, 30ms, version 3, HTTP 500, function_error
  Error: boom
`
		if rest != wantRest {
			t.Errorf("%v:\n%s\nwant\n%s", args, rest, wantRest)
		}
	}

	stdout, _, code := runCLI(t, url, "", "invocation", "inv-1", "-o", "json")
	var j lambda.Job
	if err := json.Unmarshal([]byte(stdout), &j); code != 0 || err != nil || j.ID != "inv-1" || len(j.History) != 3 || string(j.Response) != `{"errorMessage":"boom"}` {
		t.Errorf("-o json: exit %d, %v: %s", code, err, stdout)
	}
	_, stderr, code := runCLI(t, url, "", "invocation", "nosuch")
	if code != 1 || stderr != "Error: invocation \"nosuch\" not found\n" {
		t.Errorf("unknown ID: exit %d, %q", code, stderr)
	}
}

func TestRedrive(t *testing.T) {
	usage := "Usage: lambda redrive NAME (--id ID ... | --all) [flags]\nRun 'lambda redrive --help' for more information.\n"
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
		wantIDs  []string
		wantAll  bool
	}{
		{"by id", []string{"redrive", "greet", "--id", "inv-dead"}, 0, "ID         STATUS   TRIGGER\ninv-dead   queued   cron\n",
			"Queued 1 invocation(s) of \"greet\" again: follow one with \"lambda invocation inv-dead\", or all with \"lambda invocations greet\" (a read key).\n", []string{"inv-dead"}, false},
		{"all", []string{"redrive", "greet", "--all"}, 0, "ID         STATUS   TRIGGER\ninv-dead   queued   cron\n",
			"Queued 1 invocation(s) of \"greet\" again: follow one with \"lambda invocation inv-dead\", or all with \"lambda invocations greet\" (a read key).\n", nil, true},
		{"all, none dead", []string{"redrive", "hello", "--all"}, 0, "", "No dead invocations of \"hello\" to redrive.\n", nil, true},
		{"not dead", []string{"redrive", "greet", "--id", "inv-ok"}, 1, "", "Error: invocation \"inv-ok\" is succeeded, not dead: only dead invocations can be redriven\n", []string{"inv-ok"}, false},
		{"unknown", []string{"redrive", "greet", "--id", "a,b"}, 1, "", "Error: invocation \"a\" of function \"greet\" not found\n", []string{"a", "b"}, false},
		{"neither", []string{"redrive", "greet"}, 1, "",
			"Error: name the invocations to redrive with --id ID, or pass --all for every dead one (list them with \"lambda invocations greet --status dead\")\n" + usage, nil, false},
		{"both", []string{"redrive", "greet", "--all", "--id", "x"}, 1, "", "Error: use either --id or --all, not both\n" + usage, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, url := newFakeAPI(t)
			seedJobs(api)
			stdout, stderr, code := runCLI(t, url, "", tt.args...)
			if code != tt.wantCode || stdout != tt.wantOut || stderr != tt.wantErr {
				t.Errorf("got exit %d\nstdout %q\nstderr %q\nwant exit %d\nstdout %q\nstderr %q", code, stdout, stderr, tt.wantCode, tt.wantOut, tt.wantErr)
			}
			if got := api.jobs.lastRedrive; strings.Join(got.IDs, ",") != strings.Join(tt.wantIDs, ",") || got.All != tt.wantAll {
				t.Errorf("sent %+v, want ids %v all %v", got, tt.wantIDs, tt.wantAll)
			}
		})
	}
}

// TestInvocationsOfFunctionNamedGet: "get" is a subcommand of invocations
// (get ID shows one) and a valid function name. Without an ID it lists the
// function get; "--" ends the flags and makes any name a name, flags
// before it; a mistyped "get" without its ID hears how to pass one.
func TestInvocationsOfFunctionNamedGet(t *testing.T) {
	api, url := newFakeAPI(t)
	api.jobs.add(lambda.Job{ID: "inv-get", Function: "get", Status: lambda.StatusDead})
	api.jobs.add(lambda.Job{ID: "inv-greet", Function: "greet", Status: lambda.StatusDead})
	for _, tt := range []struct {
		name      string
		args      []string
		wantCode  int
		wantOut   string
		wantErr   string
		wantQuery string
	}{
		{"get alone lists the function get", []string{"invocations", "get"}, 0, "inv-get", "", "limit=50"},
		{"-- get", []string{"invocations", "--", "get"}, 0, "inv-get", "", "limit=50"},
		{"flags before -- get", []string{"invocations", "--status", "dead", "-q", "--", "get"}, 0, "inv-get\n", "", "limit=50&status=dead"},
		{"get ID still shows one", []string{"invocations", "get", "inv-greet"}, 0, "Function:   greet\n", "", ""},
		{"get with flags and no ID", []string{"invocations", "get", "-o", "json"}, 1, "",
			"Error: to show an invocation, pass its ID: \"lambda invocations get ID\"; to list the invocations of the function named get with flags, put them before --: \"lambda invocations -o json -- get\"\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api.jobs.lastQuery = ""
			stdout, stderr, code := runCLI(t, url, "", tt.args...)
			if code != tt.wantCode || !strings.Contains(stdout, tt.wantOut) || strings.Contains(stdout, "inv-greet") && tt.wantQuery != "" || !strings.HasPrefix(stderr, tt.wantErr) {
				t.Errorf("got exit %d\nstdout %q\nstderr %q\nwant exit %d, stdout with %q, stderr %q", code, stdout, stderr, tt.wantCode, tt.wantOut, tt.wantErr)
			}
			if tt.wantQuery != "" && api.jobs.lastQuery != tt.wantQuery {
				t.Errorf("query %q, want %q", api.jobs.lastQuery, tt.wantQuery)
			}
		})
	}

	// No function get: the error says how to show an invocation.
	none := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiError(w, 404, lambda.ENOTFOUND, "function %q not found", "get")
	}))
	defer none.Close()
	_, stderr, code := runCLI(t, none.URL, "", "invocations", "get")
	if code != 1 || !strings.Contains(stderr, `function "get" not found`) || !strings.Contains(stderr, `lambda invocations get ID`) {
		t.Errorf("invocations get without a function get: exit %d %q", code, stderr)
	}
}

// A running job's duration is not known yet: the listing and the detail
// said 0s (or the last attempt's), as of a job that had ended at once.
func TestRunningInvocationHasNoDurationYet(t *testing.T) {
	api, url := newFakeAPI(t)
	start := time.Now().Add(-3 * time.Second)
	api.jobs.add(lambda.Job{ID: "inv-run", Function: "greet", Status: lambda.StatusRunning, Attempts: 1, StartedAt: &start,
		Duration: lambda.Duration(40 * time.Millisecond)}) // the first attempt's
	stdout, stderr, code := runCLI(t, url, "", "invocations", "greet")
	if code != 0 || !strings.Contains(stdout, "inv-run   running   async     1          "+timestamp(start)+"   -\n") {
		t.Errorf("listing: exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = runCLI(t, url, "", "invocation", "inv-run")
	if code != 0 || !regexp.MustCompile(`\nDuration: +running, [0-9]+s so far\n`).MatchString(stdout) {
		t.Errorf("detail: exit %d\n%s%s", code, stdout, stderr)
	}
}
