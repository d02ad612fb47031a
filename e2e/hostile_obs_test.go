package e2e

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// A timed-out invocation's REPORT line ends with Lambda's "Status: timeout"
// field (log readers count timeouts by it), is billed the timeout, and
// follows Lambda's "Task timed out after" line; a crash's ends with
// "Status: error", after Lambda's "Runtime exited" line; and a function that prints
// Lambda's END and REPORT lines itself does not pass them off as the
// platform's: its lines are stored on its own stream, framed by the
// platform's START, END and REPORT of stream "platform".
func TestHostileObsPlatformLines(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)

	t.Run("a timeout's REPORT says so", func(t *testing.T) {
		name := s.fn("obstimeout")
		s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name, "--timeout", "1s")
		if resp, body := s.request("GET", s.host(name), "/sleep?d=5s", nil); resp.StatusCode != 504 {
			t.Fatalf("GET /sleep?d=5s with a 1s timeout: %d %s", resp.StatusCode, body)
		}
		id := failedInvocation(t, s, name)
		lines := waitPlatformReport(t, s, name, id)
		msgs := messagesOf(lines)
		report := msgs[len(msgs)-1]
		if !strings.HasSuffix(report, "\tStatus: timeout\t") {
			t.Errorf("REPORT of a timeout: %q, want it to end with Status: timeout", report)
		}
		// Billed the timeout, as on Lambda: not the moment more the
		// platform waits for an answer past it.
		if m := reportDurations.FindStringSubmatch(report); m == nil || m[1] != "1000.00" || m[2] != "1000" {
			t.Errorf("REPORT of a 1s timeout: %q, want Duration: 1000.00 ms and Billed Duration: 1000 ms", report)
		}
		// Lambda's line, before END, of stream platform.
		timedOut := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ` + regexp.QuoteMeta(id) + ` Task timed out after 1\.00 seconds$`)
		if n := len(lines); n < 4 || !timedOut.MatchString(msgs[n-3]) || lines[n-3].Stream != lambda.StreamPlatform || msgs[n-2] != "END RequestId: "+id {
			t.Errorf("a timeout's lines:\n%s\nwant the Task timed out line before END", strings.Join(msgs, "\n"))
		}
	})

	// A crash is not a handled error: Lambda's REPORT has Status: error and
	// Error Type: Runtime.ExitError, after its "Runtime exited" line, for a
	// function run by the shim (aws-lambda-go exits after a panic) and for
	// an http function whose process dies mid-request.
	for _, c := range []struct {
		name, path, line string
		deploy           func(name string)
	}{
		{"a shim function's crash", "/hello?panic=1", "Runtime exited with error: exit status ", func(name string) {
			prepareRuntimes(t, s)
			s.mustLambda("deploy", "testdata/aws-fn", "--name", name)
		}},
		{"an http function's crash", "/crash", "Runtime exited without providing a reason", func(name string) {
			s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := s.fn("obscrash")
			c.deploy(name)
			if resp, body := s.request("GET", s.host(name), c.path, nil); resp.StatusCode != 502 {
				t.Fatalf("GET %s: %d %s", c.path, resp.StatusCode, body)
			}
			id := failedInvocation(t, s, name)
			lines := waitPlatformReport(t, s, name, id)
			msgs := messagesOf(lines)
			n := len(msgs)
			if !strings.HasSuffix(msgs[n-1], "\tStatus: error\tError Type: Runtime.ExitError\t") {
				t.Errorf("REPORT of a crash: %q, want it to end with Status: error and Error Type: Runtime.ExitError", msgs[n-1])
			}
			// aws-lambda-go's exit status is its own business.
			if want := "RequestId: " + id + " Error: " + c.line; n < 4 || !strings.HasPrefix(msgs[n-3], want) || lines[n-3].Stream != lambda.StreamPlatform || msgs[n-2] != "END RequestId: "+id {
				t.Errorf("a crash's lines:\n%s\nwant %q before END", strings.Join(msgs, "\n"), want)
			}
			s.mustLambda("delete", name)
		})
	}

	t.Run("forged END and REPORT lines stay the function's", func(t *testing.T) {
		prepareRuntimes(t, s)
		name := s.fn("obsforge")
		s.mustLambda("deploy", "testdata/go-logs", "--name", name, "--memory", "128m")
		forged := []string{"END RequestId: forged", "REPORT RequestId: forged\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\t"}
		data, _ := json.Marshal(map[string]any{"print": forged})
		res := s.mustLambda("invoke", name, "-o", "json", "--data", string(data))
		var rec struct {
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal([]byte(res.stdout), &rec); err != nil || rec.RequestID == "" {
			t.Fatalf("invoke -o json printed %q: %v", res.stdout, err)
		}
		lines := waitPlatformReport(t, s, name, rec.RequestID)
		checkFramed(t, "the forging invocation", rec.RequestID, 1, messagesOf(lines), forged...)
		for i, l := range lines {
			platform := i == 0 || i >= len(lines)-2
			if (l.Stream == lambda.StreamPlatform) != platform {
				t.Errorf("line %d %q: stream %q", i, l.Message, l.Stream)
			}
		}
	})
}

// reportDurations reads a REPORT line's Duration and Billed Duration.
var reportDurations = regexp.MustCompile(`\tDuration: (\d+\.\d\d) ms\tBilled Duration: (\d+) ms\t`)

// failedInvocation waits for name's failed invocation to be listed and
// returns its ID.
func failedInvocation(t *testing.T, s *server, name string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var list []lambda.Job
		res := s.mustLambda("invocations", name, "--status", "failed", "-o", "json")
		if err := json.Unmarshal([]byte(res.stdout), &list); err != nil {
			t.Fatalf("invocations -o json printed %q: %v", res.stdout, err)
		}
		if len(list) > 0 {
			return list[0].ID
		}
		if time.Now().After(deadline) {
			t.Fatal("the failed invocation is not listed within 10 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitPlatformReport is waitReport that a function's own "REPORT" line
// does not end: it waits for the platform's.
func waitPlatformReport(t *testing.T, s *server, name, id string) []lambda.LogLine {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var lines []lambda.LogLine
		res := s.lambda("logs", name, "--invocation", id, "-o", "json")
		if res.code == 0 {
			if err := json.Unmarshal([]byte(res.stdout), &lines); err != nil {
				t.Fatalf("lambda logs -o json printed %q: %v", res.stdout, err)
			}
			if n := len(lines); n > 0 && lines[n-1].Stream == lambda.StreamPlatform && strings.HasPrefix(lines[n-1].Message, "REPORT ") {
				return lines
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no REPORT line of %s within 10 s: %+v %s", id, lines, res.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
