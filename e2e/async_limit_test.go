package e2e

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestAsyncQueueLimitAndGracefulStop: past the server's limit of pending
// jobs per function a submission gets 429 with Retry-After and nothing is
// queued; a graceful stop with a job running past the grace and others
// queued loses none: after the restart every acknowledged job has run, the
// interrupted try not counted.
func TestAsyncQueueLimitAndGracefulStop(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	const limit = 5
	rep := newIDReporter(t)
	s := startServer(t, "LAMBDA_MAX_QUEUED_JOBS="+strconv.Itoa(limit)) // its own: a server flag, and restarted
	name := s.fn("async-limit")
	deployAsyncFn(s, name, "--env", "REPORT_PORT="+strconv.Itoa(rep.port), "--async-concurrency", "1")

	// One runs for 12 s, longer than the queue's 10 s grace at a stop,
	// while the others wait behind it.
	first := mustSubmit(s, name, `{"sleep":"12s","tag":"limit-0"}`)
	waitJob(s, first, 30*time.Second, func(j *lambda.Job) bool { return j.Status == lambda.StatusRunning })
	// The limit counts the waiting jobs, and perhaps the running one (the
	// job store counts waiting ones; --help says "waiting or running").
	ids := []string{first}
	refused := false
	for i := 1; i <= limit+1 && !refused; i++ {
		status, h, body := submitAsync(s, name, []byte(`{"sleep":"100ms","tag":"limit-`+strconv.Itoa(i)+`"}`), nil)
		switch status {
		case http.StatusAccepted:
			var j lambda.Job
			if err := json.Unmarshal([]byte(body), &j); err != nil || j.ID == "" {
				t.Fatalf("submission %d: %v %s", i, err, body)
			}
			ids = append(ids, j.ID)
		case http.StatusTooManyRequests:
			refused = true
			if h.Get("Retry-After") == "" || !strings.Contains(body, strconv.Itoa(limit)) {
				t.Errorf("submission past the limit of %d pending jobs: Retry-After %q %s; want Retry-After and the limit named", limit, h.Get("Retry-After"), body)
			}
		default:
			t.Fatalf("submission %d: %d %s", i, status, body)
		}
	}
	if !refused || len(ids) < limit || len(ids) > limit+1 {
		var states []string
		for _, j := range listJobs(s, name, "limit=100") {
			states = append(states, j.Status+" "+describeAttempts(&j))
		}
		t.Fatalf("%d submissions acknowledged with a limit of %d pending jobs (one running), refused: %v; want %d or %d, then 429; jobs: %q", len(ids), limit, refused, limit, limit+1, states)
	}
	if res := s.lambda("invoke", name, "--async", "--data", `{"tag":"over-limit"}`); res.code == 0 || res.stderr == "" {
		t.Errorf("lambda invoke --async past the limit: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if l := listJobs(s, name, "limit=100"); len(l) != len(ids) {
		t.Errorf("%d jobs listed, want the %d acknowledged: a refused submission was queued", len(l), len(ids))
	}

	// A graceful stop while the first runs and the others wait: the
	// first is interrupted after the grace and queued again.
	stopping := time.Now()
	s.restart()
	t.Logf("the graceful restart took %s", time.Since(stopping).Round(time.Millisecond))
	deadline := time.Now().Add(time.Minute)
	for rep.countOf(ids) < len(ids) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if missing := rep.missing(ids); len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged jobs never ran after a graceful restart: %v", len(missing), len(ids), missing)
	}
	for _, id := range ids {
		j := waitJob(s, id, 30*time.Second, ended)
		if j.Status != lambda.StatusSucceeded || j.Attempts != 1 {
			t.Errorf("job %s after a graceful restart: %s after %d attempts, want succeeded after 1 (an interrupted try is not consumed): %s", id, j.Status, j.Attempts, describeAttempts(j))
		}
	}
	t.Logf("%d runs of %d jobs", rep.total(ids), len(ids))
	if n := rep.total(ids); n > len(ids)+1 {
		t.Errorf("%d runs of %d jobs: only the one running at the stop may run twice", n, len(ids))
	}
	if l := listJobs(s, name, "limit=100"); len(l) != len(ids) {
		t.Errorf("%d jobs listed after the restart, want %d", len(l), len(ids))
	}
	s.mustLambda("delete", name)
}
