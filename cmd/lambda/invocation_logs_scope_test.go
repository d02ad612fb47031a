package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// An invoke key may read an invocation's record by its ID (who submitted
// it follows it), not the function's logs: lambda invocation ID --logs with
// one used to fail with the server's bare "this request needs read", and no
// word of what the user can do: the record's tails without --logs, or a
// key that may read the function.
func TestInvocationLogsWithAKeyThatMayNotRead(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	j := &lambda.Job{ID: "job-1", Function: "greet", Status: lambda.StatusSucceeded, History: []lambda.JobAttempt{
		{Attempt: 1, Counted: true, Start: now, Duration: lambda.Duration(time.Second), Version: 1, Status: lambda.StatusSucceeded, Logs: "tail\n"},
	}}
	j.LinkAttemptLogs()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/invocations/{id}", func(w http.ResponseWriter, r *http.Request) { json.NewEncoder(w).Encode(j) })
	mux.HandleFunc("GET /v1/functions/{name}/logs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":{"code":"forbidden","message":"API key LK1 has scope invoke; this request needs read"}}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	_, errOut, code := runCLI(t, srv.URL, "", "invocation", "job-1", "--logs")
	if code == 0 || !strings.Contains(errOut, "needs read") || !strings.Contains(errOut, "without --logs") {
		t.Errorf("exit %d, stderr %q; want the server's refusal and what to do instead", code, errOut)
	}
}
