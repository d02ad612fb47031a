package e2e

import (
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestAsyncThrottled: a job of a disabled function (reserved concurrency
// 0, every attempt throttled) waits with backoff without consuming a try
// — the function allows none — and runs once the function is enabled.
func TestAsyncThrottled(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("async-throttled")
	deployAsyncFn(s, name, "--max-retries", "0")
	s.mustLambda("config", name, "--reserved-concurrency", "0")

	id := mustSubmit(s, name, `{"tag":"throttled"}`)
	// Two throttled attempts (the backoff starts at a second).
	j := waitJob(s, id, 30*time.Second, func(j *lambda.Job) bool { return len(j.History) >= 2 || !j.Pending() })
	if !j.Pending() || j.Attempts != 0 {
		t.Fatalf("a throttled job: %s after %d counted attempts, want still waiting with none counted: %s", j.Status, j.Attempts, describeAttempts(j))
	}
	for _, a := range j.History {
		if a.Counted || a.ErrorType != lambda.ETHROTTLED {
			t.Errorf("attempt %+v of a disabled function, want uncounted and %s", a, lambda.ETHROTTLED)
		}
	}

	s.mustLambda("config", name, "--reserved-concurrency", "none")
	// The backoff after a few throttles in a row is some seconds.
	j = waitJob(s, id, 90*time.Second, ended)
	if j.Status != lambda.StatusSucceeded || j.Attempts != 1 {
		t.Errorf("once enabled: %s after %d attempts, want succeeded after 1: %s", j.Status, j.Attempts, describeAttempts(j))
	}
	if n := seenBy(s, name).bodiesWith("throttled"); n != 1 {
		t.Errorf("the function ran the job %d times, want once (never while disabled)", n)
	}
	s.mustLambda("delete", name)
}
