package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// A timed-out invocation's REPORT line ends with Lambda's "Status: timeout"
// field (log readers count timeouts by it), and a function that prints
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
		var id string
		deadline := time.Now().Add(10 * time.Second)
		for id == "" {
			var list []lambda.Job
			res := s.mustLambda("invocations", name, "--status", "failed", "-o", "json")
			if err := json.Unmarshal([]byte(res.stdout), &list); err != nil {
				t.Fatalf("invocations -o json printed %q: %v", res.stdout, err)
			}
			if len(list) > 0 {
				id = list[0].ID
			} else if time.Now().After(deadline) {
				t.Fatal("the timed-out invocation is not listed within 10 s")
			} else {
				time.Sleep(100 * time.Millisecond)
			}
		}
		lines := waitPlatformReport(t, s, name, id)
		if report := lines[len(lines)-1].Message; !strings.HasSuffix(report, "\tStatus: timeout\t") {
			t.Errorf("REPORT of a timeout: %q, want it to end with Status: timeout", report)
		}
	})

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
