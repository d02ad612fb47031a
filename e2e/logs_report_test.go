package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdahq/lambda"
)

// reportLine is Lambda's REPORT line: tabs between the fields and after
// the last; Max Memory Used from the shim (the container's cgroup).
var reportLine = regexp.MustCompile(`^REPORT RequestId: (\S+)\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\t(Init Duration: \d+\.\d\d ms\t)?$`)

// checkFramed checks that lines are exactly START, want (in order), END and
// REPORT of invocation id.
func checkFramed(t *testing.T, what, id string, version int, lines []string, want ...string) {
	t.Helper()
	ok := len(lines) == len(want)+3 &&
		lines[0] == fmt.Sprintf("START RequestId: %s Version: %d", id, version) &&
		lines[len(lines)-2] == "END RequestId: "+id
	if ok {
		m := reportLine.FindStringSubmatch(lines[len(lines)-1])
		ok = m != nil && m[1] == id
	}
	for i, w := range want {
		ok = ok && lines[1+i] == w
	}
	if !ok {
		t.Errorf("%s: got\n%s\nwant START, %q, END and REPORT of %s", what, strings.Join(lines, "\n"), want, id)
	}
}

func messagesOf(lines []lambda.LogLine) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l.Message)
	}
	return out
}

// waitReport polls `lambda logs NAME --invocation ID -o json` until the
// invocation's REPORT line and n lines in all are stored: the platform
// writes its lines in batches, within 100 ms of the answer, and the
// function's own output travels by another path (the container's stream),
// which may store it after the REPORT.
func waitReport(t *testing.T, s *server, name, id string, n int, args ...string) []lambda.LogLine {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := s.lambda(append([]string{"logs", name, "--invocation", id, "-o", "json"}, args...)...)
		var lines []lambda.LogLine
		if res.code == 0 {
			if err := json.Unmarshal([]byte(res.stdout), &lines); err != nil {
				t.Fatalf("lambda logs -o json printed %q: %v", res.stdout, err)
			}
			if k := len(lines); k >= n && strings.HasPrefix(lines[k-1].Message, "REPORT ") {
				return lines
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no REPORT line of %s with %d lines in all within 10 s: %+v %s", id, n, lines, res.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Lambda's own lines around invocations of a Go handler: the SDK's Tail
// carries START, END and REPORT for a call that printed nothing; `lambda
// logs --invocation` returns exactly an invocation's lines from its START
// to its REPORT; the attempts of an async job link their own lines.
func TestLogsReportLines(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	name := s.fn("logsreport")
	s.mustLambda("deploy", "testdata/go-logs", "--name", name, "--memory", "128m", "--retry-delay", "1s", "--max-retries", "1")

	t.Run("Tail through the AWS SDK, the function printing nothing", func(t *testing.T) {
		var key struct{ ID, Secret string }
		if err := json.Unmarshal([]byte(s.mustLambda("keys", "create", "sdk-"+name, "--scope", "invoke", "-o", "json").stdout), &key); err != nil || key.ID == "" {
			t.Fatalf("keys create -o json: %v %+v", err, key)
		}
		client := awslambda.New(awslambda.Options{
			BaseEndpoint: aws.String(s.url("")),
			Region:       "us-east-1",
			Credentials:  credentials.NewStaticCredentialsProvider(key.ID, key.Secret, ""),
		})
		out, err := client.Invoke(context.Background(), &awslambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{}`), LogType: types.LogTypeTail})
		if err != nil {
			t.Fatalf("SDK invoke: %v", err)
		}
		logs, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if err != nil || out.FunctionError != nil {
			t.Fatalf("SDK invoke: %v %v %q", err, out.FunctionError, aws.ToString(out.LogResult))
		}
		lines := strings.Split(strings.TrimSuffix(string(logs), "\n"), "\n")
		f := strings.Fields(lines[0])
		if len(f) < 3 {
			t.Fatalf("LogResult %q", logs)
		}
		id := f[2]
		checkFramed(t, "LogResult", id, 1, lines)
		// The stored log of that call is the same three lines.
		stored := waitReport(t, s, name, id, 3)
		checkFramed(t, "its stored lines", id, 1, messagesOf(stored))
		for _, l := range stored {
			if l.Stream != lambda.StreamPlatform || l.Invocation != id || l.Version != 1 || l.Instance == "" {
				t.Errorf("platform line %+v", l)
			}
		}
	})

	t.Run("lambda logs --invocation: START to REPORT", func(t *testing.T) {
		var ids []string
		for i := range 3 {
			res := s.mustLambda("invoke", name, "-o", "json", "--log", "--data", fmt.Sprintf(`{"print":["first %d","second %d"]}`, i, i))
			var rec struct {
				RequestID string `json:"request_id"`
				Log       string `json:"log"`
			}
			if err := json.Unmarshal([]byte(res.stdout), &rec); err != nil || rec.RequestID == "" {
				t.Fatalf("invoke -o json printed %q: %v", res.stdout, err)
			}
			checkFramed(t, "lambda invoke --log", rec.RequestID, 1, strings.Split(strings.TrimSuffix(rec.Log, "\n"), "\n"), fmt.Sprintf("first %d", i), fmt.Sprintf("second %d", i))
			ids = append(ids, rec.RequestID)
		}
		for i, id := range ids {
			lines := waitReport(t, s, name, id, 5)
			checkFramed(t, "--invocation "+id, id, 1, messagesOf(lines), fmt.Sprintf("first %d", i), fmt.Sprintf("second %d", i))
		}
		// The table shows them too, in order.
		framed := regexp.MustCompile(`(?s)START RequestId: ` + ids[0] + `.*first 0\n.*second 0\n.*END RequestId: .*\tDuration: `)
		res := s.mustLambda("logs", name, "--invocation", ids[0])
		if !framed.MatchString(res.stdout) {
			t.Errorf("lambda logs --invocation printed:\n%s", res.stdout)
		}
		// A synchronous invocation's record links its log as well
		// (records are kept in batches: wait for it).
		deadline := time.Now().Add(10 * time.Second)
		for {
			res = s.lambda("invocation", ids[0], "--logs")
			if res.code == 0 && framed.MatchString(res.stdout) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("lambda invocation %s --logs: exit %d\n%s%s", ids[0], res.code, res.stdout, res.stderr)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("a cold start's REPORT has Init Duration", func(t *testing.T) {
		s.mustLambda("config", name, "--idle-timeout", "1s", "--standby-timeout", "0")
		waitFor(t, 15*time.Second, func() bool { return len(s.containers(name, false)) == 0 })
		res := s.mustLambda("invoke", name, "-o", "json", "--log", "--data", `{"print":["cold"]}`)
		var rec struct {
			RequestID string `json:"request_id"`
			ColdStart bool   `json:"cold_start"`
			Log       string `json:"log"`
		}
		if err := json.Unmarshal([]byte(res.stdout), &rec); err != nil || !rec.ColdStart {
			t.Fatalf("invoke after scale to zero printed %q: %v; want a cold start", res.stdout, err)
		}
		lines := strings.Split(strings.TrimSuffix(rec.Log, "\n"), "\n")
		checkFramed(t, "a cold start's tail", rec.RequestID, 1, lines, "cold")
		if !strings.Contains(lines[len(lines)-1], "\tInit Duration: ") {
			t.Errorf("a cold start's REPORT has no Init Duration: %q", lines[len(lines)-1])
		}
		t.Logf("%q", lines[len(lines)-1])
		stored := messagesOf(waitReport(t, s, name, rec.RequestID, 4))
		checkFramed(t, "a cold start's stored lines", rec.RequestID, 1, stored, "cold")
		if stored[len(stored)-1] != lines[len(lines)-1] {
			t.Errorf("stored REPORT %q, the tail's %q", stored[len(stored)-1], lines[len(lines)-1])
		}
		s.mustLambda("config", name, "--idle-timeout", "0")
	})

	t.Run("an async job's attempts link their own lines", func(t *testing.T) {
		id := mustSubmit(s, name, `{"print":["async attempt"],"fail":true}`)
		j := waitJob(s, id, 60*time.Second, ended)
		if len(j.History) != 2 {
			t.Fatalf("%d attempts, want 2 (one retry): %+v", len(j.History), j.History)
		}
		for n, a := range j.History {
			if a.LogsPath == "" {
				t.Fatalf("attempt %d has no logs_path: %+v", n+1, a)
			}
			u, err := url.Parse(a.LogsPath)
			if err != nil || u.Path != "/v1/functions/"+name+"/logs" || u.Query().Get("invocation") != id {
				t.Fatalf("attempt %d: logs_path %q", n+1, a.LogsPath)
			}
			var lines []lambda.LogLine
			deadline := time.Now().Add(10 * time.Second)
			for {
				status, _, body := apiCall(s, "GET", a.LogsPath, nil, nil)
				var list struct{ Lines []lambda.LogLine }
				if status == 200 && json.Unmarshal([]byte(body), &list) == nil {
					lines = list.Lines
				}
				if n := len(lines); n > 0 && strings.HasPrefix(lines[n-1].Message, "REPORT ") || time.Now().After(deadline) {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			// The SDK adds a line of its own about the failure; the
			// function's line is there once: this attempt's, not the other's.
			msgs := messagesOf(lines)
			var own []string
			for _, m := range msgs {
				if !strings.Contains(m, "asked to fail") {
					own = append(own, m)
				}
			}
			checkFramed(t, fmt.Sprintf("attempt %d's lines", n+1), id, 1, own, "async attempt")
		}
		// lambda invocation ID --logs prints both attempts' whole logs.
		res := s.mustLambda("invocation", id, "--logs")
		if c := strings.Count(res.stdout, "START RequestId: "+id); c != 2 || strings.Count(res.stdout, "Z async attempt\n") != 2 {
			t.Errorf("lambda invocation --logs printed %d START lines:\n%s", c, res.stdout)
		}
	})
}
