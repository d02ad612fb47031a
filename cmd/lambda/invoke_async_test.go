package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestInvokeAsync(t *testing.T) {
	usage := "Usage: lambda invoke NAME[:ALIAS|:VERSION] [-] [flags]\nRun 'lambda invoke --help' for more information.\n"
	tests := []struct {
		name        string
		stdin       string
		args        []string
		wantCode    int
		wantOut     string
		wantErr     string
		wantPayload string // "" : nothing reached the server
		wantKey     string
		wantTimeout string
	}{
		{name: "prints the ID", args: []string{"invoke", "greet", "--async", "--data", `{"a":1}`}, wantOut: "inv-1\n", wantPayload: `{"a":1}`},
		{name: "key and timeout", args: []string{"invoke", "greet", "--async", "--idempotency-key", "order-42", "--timeout", "1500ms"}, wantOut: "inv-1\n", wantPayload: "{}", wantKey: "order-42", wantTimeout: "1.5s"},
		{name: "wait for success", args: []string{"invoke", "greet", "--async", "--wait", "--data", `{"a":1}`}, wantPayload: `{"a":1}`,
			wantOut: `{"echo":{"a":1}}` + "\n",
			wantErr: "Invocation inv-1 is queued; waiting for it to end (Ctrl-C stops waiting, not the invocation).\nrunning (attempt 1)\nsucceeded after 1 attempt(s), the last took 12ms\n"},
		{name: "wait with the log", args: []string{"invoke", "greet", "--async", "--wait", "--log"}, wantPayload: "{}",
			wantOut: `{"echo":{}}` + "\n",
			wantErr: "Invocation inv-1 is queued; waiting for it to end (Ctrl-C stops waiting, not the invocation).\nrunning (attempt 1)\nsucceeded after 1 attempt(s), the last took 12ms\n--- log ---\nhello from greet\n"},
		{name: "wait for a dead end", args: []string{"invoke", "flaky", "--async", "--wait"}, wantCode: 1, wantPayload: "{}",
			wantOut: `{"errorMessage":"boom","errorType":"Error"}` + "\n",
			wantErr: "Invocation inv-1 is queued; waiting for it to end (Ctrl-C stops waiting, not the invocation).\n" +
				"running (attempt 1)\n" +
				"retrying at 2026-12-05T10:02:00Z (attempt 1 failed: function_error Unhandled: boom)\n" +
				"running (attempt 2)\n" +
				"dead after 2 attempt(s), the last took 12ms\n" +
				"Error: invocation inv-1 of \"flaky\" ended dead after 2 attempt(s): function_error Unhandled: boom; see each attempt's logs with \"lambda invocation inv-1\"\n"},
		{name: "wait gives up", args: []string{"invoke", "crawl", "--async", "--wait", "--wait-timeout", "250ms"}, wantCode: 1, wantPayload: "{}",
			wantErr: "Invocation inv-1 is queued; waiting for it to end (Ctrl-C stops waiting, not the invocation).\n" +
				"Error: stopped waiting after 250ms (--wait-timeout): invocation inv-1 is still queued and goes on; follow it with \"lambda invocation inv-1\"\n"},
		{name: "unknown function", args: []string{"invoke", "nope", "--async"}, wantCode: 1, wantPayload: "{}", wantErr: "Error: function \"nope\" not found\n"},
		{name: "over 1 MB", stdin: `"` + strings.Repeat("x", lambda.MaxAsyncPayloadBytes) + `"`, args: []string{"invoke", "greet", "--async", "-"}, wantCode: 1,
			wantErr: "Error: the payload (1048578 bytes) is over the limit of an asynchronous invocation, 1 MB (1048576 bytes): send a smaller event, such as a reference to data the function fetches\n"},
		{name: "--wait without --async", args: []string{"invoke", "greet", "--wait"}, wantCode: 1,
			wantErr: "Error: --wait follows an asynchronous invocation: add --async (a synchronous invoke always waits)\n" + usage},
		{name: "--wait-timeout without --wait", args: []string{"invoke", "greet", "--async", "--wait-timeout", "5m"}, wantCode: 1,
			wantErr: "Error: --wait-timeout bounds how long --async --wait follows an invocation: add --async --wait, or leave it out\n" + usage},
		{name: "--wait-timeout on a synchronous invoke", args: []string{"invoke", "greet", "--wait-timeout", "5m"}, wantCode: 1,
			wantErr: "Error: --wait-timeout bounds how long --async --wait follows an invocation: add --async --wait, or leave it out\n" + usage},
		{name: "--log without --wait", args: []string{"invoke", "greet", "--async", "--log"}, wantCode: 1,
			wantErr: "Error: --log with --async needs --wait: the logs exist once the invocation ran (or see them later with \"lambda invocation ID\")\n" + usage},
		{name: "key too long", args: []string{"invoke", "greet", "--async", "--idempotency-key", strings.Repeat("k", 257)}, wantCode: 1,
			wantErr: "Error: --idempotency-key is 257 characters long, over the limit of 256: use a shorter key, such as a UUID or a hash of what makes the call unique\n" + usage},
		{name: "key of 256 two-byte characters", args: []string{"invoke", "greet", "--async", "--idempotency-key", strings.Repeat("é", 256)}, wantOut: "inv-1\n", wantPayload: "{}", wantKey: strings.Repeat("é", 256)},
		{name: "key with a control character", args: []string{"invoke", "greet", "--idempotency-key", "a\x01b"}, wantCode: 1,
			wantErr: "Error: --idempotency-key has a control character (U+0001) at character 2: use printable characters, such as a UUID or a hash of what makes the call unique\n" + usage},
		{name: "key not UTF-8", args: []string{"invoke", "greet", "--async", "--idempotency-key", "a\xffb"}, wantCode: 1,
			wantErr: "Error: --idempotency-key is not valid UTF-8: use printable characters, such as a UUID or a hash of what makes the call unique\n" + usage},
		{name: "timeout too long", args: []string{"invoke", "greet", "--timeout", "20m"}, wantCode: 1,
			wantErr: "Error: --timeout 20m0s is out of range 1ms-15m\n" + usage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, url := newFakeAPI(t)
			stdout, stderr, code := runCLI(t, url, tt.stdin, tt.args...)
			if code != tt.wantCode || stdout != tt.wantOut || stderr != tt.wantErr {
				t.Errorf("got exit %d\nstdout %q\nstderr %q\nwant exit %d\nstdout %q\nstderr %q", code, stdout, stderr, tt.wantCode, tt.wantOut, tt.wantErr)
			}
			j := &api.jobs
			if j.lastPayload != tt.wantPayload || j.lastKey != tt.wantKey || j.lastTimeout != tt.wantTimeout {
				t.Errorf("sent payload %q key %q timeout %q, want %q %q %q", j.lastPayload, j.lastKey, j.lastTimeout, tt.wantPayload, tt.wantKey, tt.wantTimeout)
			}
			if api.lastInvoke != "" {
				t.Errorf("an asynchronous invoke called the synchronous route with %q", api.lastInvoke)
			}
		})
	}
}

func TestInvokeAsyncJSON(t *testing.T) {
	api, url := newFakeAPI(t)
	stdout, stderr, code := runCLI(t, url, "", "invoke", "greet", "--async", "-o", "json")
	var job lambda.Job
	if err := json.Unmarshal([]byte(stdout), &job); code != 0 || err != nil || job.ID != "inv-1" || job.Status != lambda.StatusQueued || stderr != "" {
		t.Fatalf("exit %d, %v: %s %s", code, err, stdout, stderr)
	}
	// --wait -o json prints the final record.
	stdout, _, code = runCLI(t, url, "", "invoke", "greet", "--async", "--wait", "-o", "json")
	if err := json.Unmarshal([]byte(stdout), &job); code != 0 || err != nil || job.ID != "inv-2" || job.Status != lambda.StatusSucceeded || len(job.History) != 1 {
		t.Errorf("--wait -o json: exit %d, %v: %s", code, err, stdout)
	}
	// A repeated key names the first invocation, which is said on stderr.
	api.jobs.add(lambda.Job{ID: "inv-first", Function: "greet", Status: lambda.StatusSucceeded, IdempotencyKey: "k"})
	stdout, stderr, code = runCLI(t, url, "", "invoke", "greet", "--async", "--idempotency-key", "k")
	if code != 0 || stdout != "inv-first\n" || stderr != "Idempotency key \"k\" names invocation inv-first, created 2026-12-05T10:00:02Z: it was not queued again.\n" {
		t.Errorf("replay: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// A repeated key of an ended invocation prints its response at once; a
// server away for a moment is waited for.
func TestInvokeAsyncWaitReplayAndRestart(t *testing.T) {
	api, url := newFakeAPI(t)
	api.jobs.add(lambda.Job{ID: "inv-done", Function: "greet", Status: lambda.StatusSucceeded, Attempts: 1, HTTPStatus: 200, IdempotencyKey: "k", Response: []byte(`{"ok":true}`)})
	stdout, stderr, code := runCLI(t, url, "", "invoke", "greet", "--async", "--wait", "--idempotency-key", "k")
	if code != 0 || stdout != `{"ok":true}`+"\n" || stderr != "Idempotency key \"k\" names invocation inv-done, created 2026-12-05T10:00:00Z: it was not queued again.\n" {
		t.Errorf("replay: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	api.jobs.unavailable = 1
	stdout, stderr, code = runCLI(t, url, "", "invoke", "greet", "--async", "--wait")
	want := "Invocation inv-2 is queued; waiting for it to end (Ctrl-C stops waiting, not the invocation).\n" +
		"the server does not answer (the server is shutting down); still waiting\n" +
		"running (attempt 1)\nsucceeded after 1 attempt(s), the last took 12ms\n"
	if code != 0 || stdout != `{"echo":{}}`+"\n" || stderr != want {
		t.Errorf("restart: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// Ctrl-C stops the waiting, says how to follow the invocation, and never
// cancels it.
func TestInvokeAsyncWaitInterrupted(t *testing.T) {
	api, url := newFakeAPI(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--server", url, "invoke", "crawl", "--async", "--wait"}, &streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		api.jobs.mu.Lock()
		gets := api.jobs.gets
		api.jobs.mu.Unlock()
		if gets > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		want := "Error: stopped waiting (interrupted): invocation inv-1 goes on (it was queued); follow it with \"lambda invocation inv-1\"\n"
		if code != 1 || !strings.HasSuffix(errOut.String(), want) {
			t.Errorf("exit %d, stderr %q", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("invoke --wait did not stop on cancel")
	}
	if st := api.jobs.jobs[0].Status; st != lambda.StatusQueued {
		t.Errorf("the invocation is %s after Ctrl-C", st)
	}
}

func TestInvokeSyncOptions(t *testing.T) {
	api, url := newFakeAPI(t)
	stdout, stderr, code := runCLI(t, url, "", "invoke", "greet", "--idempotency-key", "order-1", "--timeout", "1500ms", "--log")
	if code != 0 || stdout != `{"echo":{}}`+"\n" || stderr != "--- log ---\nSTART\nhello\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	r := api.lastInvokeRequest
	if r.Header.Get("Idempotency-Key") != "order-1" || r.URL.Query().Get("timeout") != "1.5s" || r.Header.Get("X-Lambda-Log-Type") != "Tail" {
		t.Errorf("sent headers %v, query %q", r.Header, r.URL.RawQuery)
	}
	// Without the flags, none of it is sent.
	runCLI(t, url, "", "invoke", "greet")
	r = api.lastInvokeRequest
	if r.Header.Get("Idempotency-Key") != "" || r.URL.RawQuery != "" || r.Header.Get("X-Lambda-Log-Type") != "" {
		t.Errorf("sent headers %v, query %q", r.Header, r.URL.RawQuery)
	}

	stdout, stderr, code = runCLI(t, url, "", "invoke", "greet", "--idempotency-key", "seen")
	if code != 0 || stdout != `{"echo":{}}`+"\n" || stderr != "Replayed the stored response of invocation inv-sync (idempotency key \"seen\"): the function did not run again.\n" {
		t.Errorf("replay: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestInvokeSyncJSON(t *testing.T) {
	_, url := newFakeAPI(t)
	stdout, stderr, code := runCLI(t, url, "", "invoke", "greet", "--log", "-o", "json", "--data", `{"a":1}`)
	want := `{
  "request_id": "inv-sync",
  "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
  "status_code": 200,
  "version": 3,
  "cold_start": true,
  "response": {
    "echo": {
      "a": 1
    }
  },
  "log": "START\nhello\n"
}
`
	if code != 0 || stdout != want || stderr != "--- log ---\nSTART\nhello\n" {
		t.Errorf("exit %d, stdout %s, stderr %q", code, stdout, stderr)
	}
	// A response that is not JSON is a JSON string.
	stdout, _, code = runCLI(t, url, "", "invoke", "fail", "-o", "json")
	var rec invokeRecord
	if err := json.Unmarshal([]byte(stdout), &rec); code != 1 || err != nil || rec.StatusCode != 500 || string(rec.Response) != `"something broke"` {
		t.Errorf("fail: exit %d, %v: %s", code, err, stdout)
	}
}
