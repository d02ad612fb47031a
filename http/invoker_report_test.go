package http

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestMaxMemoryUsed(t *testing.T) {
	for _, c := range []struct {
		name  string
		value string
		shim  bool
		want  int
	}{
		{"absent", "", true, 0},
		{"bytes rounded up to MB", "32505856", true, 31},
		{"a byte over", "32505857", true, 32},
		{"exact MB", "1048576", true, 1},
		{"garbage", "lots", true, 0},
		{"negative", "-5", true, 0},
		{"an http function's own header is not believed", "1048576", false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			if c.value != "" {
				h.Set(HeaderMaxMemoryUsed, c.value)
			}
			if got := maxMemoryUsed(h, &lambda.Lease{Shim: c.shim}); got != c.want {
				t.Errorf("got %d MB, want %d", got, c.want)
			}
			if _, ok := h[HeaderMaxMemoryUsed]; ok {
				t.Errorf("the header was left for the caller")
			}
		})
	}
}

// The tail of a direct invocation carries START, END and REPORT even when
// the function printed nothing, as on Lambda; the record says what the
// REPORT line needs.
func TestInvokerTailHasPlatformLines(t *testing.T) {
	f := newInvokerFixture(t, time.Second)
	res, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: event("echo"), LogTail: true, RequestID: "quiet-id"})
	if err != nil {
		t.Fatal(err)
	}
	tail := string(res.LogTail)
	lines := strings.Split(strings.TrimSuffix(tail, "\n"), "\n")
	if len(lines) != 4 || lines[0] != "START RequestId: quiet-id Version: 7" || lines[1] != "log of quiet-id" ||
		lines[2] != "END RequestId: quiet-id" || !strings.HasPrefix(lines[3], "REPORT RequestId: quiet-id\tDuration: ") ||
		!strings.Contains(lines[3], "\tInit Duration: 3.00 ms\t") {
		t.Errorf("tail %q", tail)
	}
	// Through the API: the header carries the same.
	w := f.invokeHTTP("POST", "localhost", "/v1/functions/greet/invoke", `{"do":"echo"}`, map[string]string{HeaderLogType: "Tail"})
	b, _ := base64.StdEncoding.DecodeString(w.Header().Get(HeaderLogResult))
	if !strings.HasPrefix(string(b), "START RequestId: ") || !strings.Contains(string(b), "\nREPORT RequestId: ") {
		t.Errorf("X-Lambda-Log-Result %q", b)
	}
}

// The shim's memory header never reaches the caller, and a function's
// own (no shim) does not make the record.
func TestInvokerStripsMemoryHeader(t *testing.T) {
	fn := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(HeaderMaxMemoryUsed, "99999999")
		_, _ = w.Write([]byte("{}"))
	})
	f := newInvokerFixture(t, time.Second)
	srv := httptest.NewServer(fn)
	t.Cleanup(srv.Close)
	f.router.fakeRouter.backends["greet"] = srv.Listener.Addr().String()
	res, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Header[HeaderMaxMemoryUsed]; ok {
		t.Errorf("the caller got %s", HeaderMaxMemoryUsed)
	}
	if m := res.Invocation.MaxMemoryUsedMB; m != 0 {
		t.Errorf("an http function's header made the record: %d MB", m)
	}
	w := f.invokeHTTP("GET", "greet.localhost", "/", "", nil)
	if w.Header().Get(HeaderMaxMemoryUsed) != "" {
		t.Errorf("the gateway passed %s to the client", HeaderMaxMemoryUsed)
	}
}

// GET /v1/invocations/{id} says where each attempt's whole log is; the
// stored record is not changed.
func TestGetInvocationLinksAttemptLogs(t *testing.T) {
	s, async := newAsyncServer(t)
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	stored := &lambda.Job{ID: "job-1", Function: "greet", Status: lambda.StatusSucceeded, History: []lambda.JobAttempt{
		{Attempt: 1, Counted: true, Start: t0, Duration: lambda.Duration(time.Second), Version: 7},
		{Attempt: 2, Counted: true, Start: t0.Add(time.Minute), Duration: lambda.Duration(time.Second), Version: 7},
	}}
	async.jobs = append(async.jobs, stored)
	rec := serve(s, httptest.NewRequest(http.MethodGet, "/v1/invocations/job-1", nil))
	var j lambda.Job
	if err := json.Unmarshal(rec.Body.Bytes(), &j); rec.Code != 200 || err != nil || len(j.History) != 2 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	want := "/v1/functions/greet/logs?invocation=job-1&since=2026-12-05T10%3A00%3A00Z&until=2026-12-05T10%3A01%3A00Z"
	if j.History[0].LogsPath != want || !strings.HasPrefix(j.History[1].LogsPath, "/v1/functions/greet/logs?invocation=job-1&since=2026-12-05T10%3A01%3A00Z") {
		t.Errorf("logs_path %q and %q", j.History[0].LogsPath, j.History[1].LogsPath)
	}
	if stored.History[0].LogsPath != "" {
		t.Errorf("the stored record was changed")
	}
}
