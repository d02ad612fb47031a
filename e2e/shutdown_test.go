package e2e

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// platformParts are the server's components in the order they open.
var platformParts = []string{"database", "stats", "invocation history", "keys", "log store", "invocation reports", "Docker driver", "engine", "webhooks", "queue of asynchronous invocations", "HTTP server", "scheduler"}

var lifecycleLine = regexp.MustCompile(`msg=(opened|closed) component=("[^"]*"|\S+)`)

// lifecycleEvents returns the components the server logged as opened and
// closed (at debug level), in log order.
func lifecycleEvents(t *testing.T, logs string) (opened, closed []string) {
	t.Helper()
	for _, m := range lifecycleLine.FindAllStringSubmatch(logs, -1) {
		name := m[2]
		if strings.HasPrefix(name, `"`) {
			var err error
			if name, err = strconv.Unquote(name); err != nil {
				t.Fatalf("component name %s: %v", m[2], err)
			}
		}
		if m[1] == "opened" {
			opened = append(opened, name)
		} else {
			closed = append(closed, name)
		}
	}
	return opened, closed
}

// TestShutdownClosesOnceInReverse: a server opens its parts in order and,
// stopped with a function deployed and a job done, closes each once, in
// reverse (the scheduler stops ticking before HTTP stops accepting, the
// queue before the engine, the database last), exits 0 and logs no error
// doing it.
func TestShutdownClosesOnceInReverse(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t)
	name := s.fn("shutdown")
	deployAsyncFn(s, name)
	job := mustSubmit(s, name, `{"tag":"shutdown"}`)
	waitJob(s, job, 60*time.Second, func(j *lambda.Job) bool { return j.Status == lambda.StatusSucceeded })

	if err := s.shutdown(); err != nil {
		t.Fatalf("%v\n%s", err, s.logs.String())
	}
	logs := s.logs.String()
	opened, closed := lifecycleEvents(t, logs)
	if !slices.Equal(opened, platformParts) {
		t.Errorf("opened %q, want %q", opened, platformParts)
	}
	// Every part but the keys (nothing to close) closes once, in reverse.
	var want []string
	for _, p := range slices.Backward(platformParts) {
		if p != "keys" {
			want = append(want, p)
		}
	}
	if !slices.Equal(closed, want) {
		t.Errorf("closed %q, want %q", closed, want)
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("error logged by a clean start and stop: %s", line)
		}
	}
	if t.Failed() {
		t.Logf("server log:\n%s", logs)
	}
}
