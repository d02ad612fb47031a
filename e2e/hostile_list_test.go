package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestHostileListing: the hostile findings on issue 10's listings and
// CLI. Ten jobs redriven together share a created_at and every one is
// reached by paging, through the API and `lambda invocations` (--cursor,
// --all); --since takes days; a key that may only invoke follows its own
// `--async --wait` but may not list; --wait-timeout alone is refused
// before anything is queued; an unknown function's 404 says to deploy it,
// on the control API and the Invoke API alike.
func TestHostileListing(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("pager")
	deployAsyncFn(s, name, "--max-retries", "0")
	defer s.mustLambda("delete", name)

	var ids []string
	for i := range 10 {
		ids = append(ids, mustSubmit(s, name, fmt.Sprintf(`{"tag":"page-%d","fail":-1}`, i)))
	}
	for _, id := range ids {
		if j := waitJob(s, id, 60*time.Second, ended); j.Status != lambda.StatusDead {
			t.Fatalf("job %s failing with max retries 0: %s, want dead (%s)", id, j.Status, describeAttempts(j))
		}
	}
	// Redriven together: one created_at for all ten.
	s.mustLambda("redrive", name, "--all")
	created := map[string]bool{}
	for _, j := range listJobs(s, name, "limit=1000") {
		created[j.CreatedAt.Format(time.RFC3339Nano)] = true
	}
	if len(created) != 1 {
		t.Errorf("the redriven jobs have %d creation times, want 1 (what makes paging by time lose jobs)", len(created))
	}
	want := slices.Clone(ids)
	slices.Sort(want)

	t.Run("API pages by cursor", func(t *testing.T) {
		s := *s
		s.t = t
		var got []string
		query := "limit=3"
		for page := 0; ; page++ {
			if page > 10 {
				t.Fatalf("still paging after %d pages: %v", page, got)
			}
			status, _, body := apiCall(&s, "GET", "/v1/functions/"+name+"/invocations?"+query, nil, nil)
			var list struct {
				Invocations []lambda.Job `json:"invocations"`
				NextCursor  string       `json:"next_cursor"`
			}
			if status != 200 || json.Unmarshal([]byte(body), &list) != nil {
				t.Fatalf("GET ?%s: %d %s", query, status, trimBody(body))
			}
			for _, j := range list.Invocations {
				got = append(got, j.ID)
			}
			if list.NextCursor == "" {
				break
			}
			query = "limit=3&cursor=" + list.NextCursor
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("paging by 3 listed %d jobs %v, want the 10 once each %v", len(got), got, want)
		}
		status, _, body := apiCall(&s, "GET", "/v1/functions/"+name+"/invocations?cursor=not-a-cursor", nil, nil)
		if status != http.StatusBadRequest || !strings.Contains(body, "next_cursor") {
			t.Errorf("a bad cursor: %d %s, want 400 naming next_cursor", status, trimBody(body))
		}
	})

	t.Run("CLI pages", func(t *testing.T) {
		s := *s
		s.t = t
		res := s.mustLambda("invocations", name, "--limit", "3", "--all", "-o", "json")
		var jobs []lambda.Job
		if err := json.Unmarshal([]byte(res.stdout), &jobs); err != nil {
			t.Fatalf("--all -o json: %v: %s", err, res.stdout)
		}
		var got []string
		for _, j := range jobs {
			got = append(got, j.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("--all by 3 listed %v, want %v", got, want)
		}
		// A page ends with the cursor of the next; following it lists
		// three others.
		first := s.mustLambda("invocations", name, "--limit", "3", "-o", "json")
		_, rest, ok := strings.Cut(first.stderr, "--cursor ")
		cursor, _, _ := strings.Cut(rest, " ")
		if !ok || cursor == "" {
			t.Fatalf("a full page's stderr names no --cursor: %q", first.stderr)
		}
		second := s.mustLambda("invocations", name, "--limit", "3", "--cursor", cursor, "-o", "json")
		var a, b []lambda.Job
		if json.Unmarshal([]byte(first.stdout), &a) != nil || json.Unmarshal([]byte(second.stdout), &b) != nil || len(a) != 3 || len(b) != 3 {
			t.Fatalf("pages: %s then %s", first.stdout, second.stdout)
		}
		for _, j := range b {
			if slices.ContainsFunc(a, func(x lambda.Job) bool { return x.ID == j.ID }) {
				t.Errorf("job %s is on both pages", j.ID)
			}
		}
		if res := s.mustLambda("invocations", name, "--since", "7d", "--limit", "1000", "-o", "json"); strings.Count(res.stdout, `"id"`) != 10 {
			t.Errorf("--since 7d: %s", res.stdout)
		}
		status, _, body := apiCall(&s, "GET", "/v1/functions/"+name+"/invocations?since=7d", nil, nil)
		if status != 200 {
			t.Errorf("?since=7d: %d %s", status, trimBody(body))
		}
	})

	t.Run("invoke key follows its invocation", func(t *testing.T) {
		s := *s
		s.t = t
		var key struct{ Secret string }
		res := s.mustLambda("keys", "create", "invoker-"+name, "--scope", "invoke", "--function", name, "-o", "json")
		if err := json.Unmarshal([]byte(res.stdout), &key); err != nil || key.Secret == "" {
			t.Fatalf("keys create -o json: %v %s", err, res.stdout)
		}
		before := len(listJobs(&s, name, "limit=1000"))
		res = s.lambda("--api-key", key.Secret, "invoke", name, "--async", "--wait", "--data", `{"tag":"invoke-key-wait"}`)
		if res.code != 0 || !strings.Contains(res.stdout, "invoke-key-wait") {
			t.Errorf("invoke --async --wait with an invoke key: exit %d\nstdout %s\nstderr %s", res.code, res.stdout, res.stderr)
		}
		// The listing shows every caller's events: read scope only.
		res = s.lambda("--api-key", key.Secret, "invocations", name)
		if res.code == 0 || !strings.Contains(res.stderr, "scope invoke") {
			t.Errorf("invocations with an invoke key: exit %d %s, want refused (403)", res.code, res.stderr)
		}
		// --wait-timeout without --async --wait: a usage error, nothing queued.
		res = s.lambda("--api-key", key.Secret, "invoke", name, "--async", "--wait-timeout", "1m", "--data", `{"tag":"wait-timeout-alone"}`)
		if res.code == 0 || !strings.Contains(res.stderr, "--wait-timeout") {
			t.Errorf("--wait-timeout without --wait: exit %d %s, want a usage error", res.code, res.stderr)
		}
		if n := len(listJobs(&s, name, "limit=1000")); n != before+1 {
			t.Errorf("%d invocations after one --wait and one refused call, want %d", n, before+1)
		}
	})

	t.Run("unknown function says to deploy it", func(t *testing.T) {
		s := *s
		s.t = t
		missing := s.fn("never-deployed")
		hint := `deploy it with \"lambda deploy\"`
		status, _, body := submitAsync(&s, missing, []byte(`{}`), nil)
		if status != http.StatusNotFound || !strings.Contains(body, hint) {
			t.Errorf("POST invocations of an unknown function: %d %s, want 404 with the deploy hint", status, trimBody(body))
		}
		status, h, body := apiCall(&s, "POST", "/2015-03-31/functions/"+missing+"/invocations", []byte(`{}`), map[string]string{"X-Amz-Invocation-Type": "Event"})
		if status != http.StatusNotFound || h.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" || !strings.Contains(body, `deploy it with \"lambda deploy\"`) {
			t.Errorf("Invoke API Event of an unknown function: %d %s %s, want 404 ResourceNotFoundException with the deploy hint", status, h.Get("X-Amzn-ErrorType"), trimBody(body))
		}
		res := s.lambda("invoke", missing, "--async")
		if res.code == 0 || !strings.Contains(res.stderr, `deploy it with "lambda deploy"`) {
			t.Errorf("lambda invoke --async of an unknown function: exit %d %s", res.code, res.stderr)
		}
	})
}
