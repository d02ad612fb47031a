package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestHostileDestinations: what a hostile tester found in destinations
// (issue 10), through the real CLI and server: functions naming each other
// as destinations are refused on config and deploy instead of looping
// forever; a key limited to one function cannot aim its destination at
// another; deleting a destination warns and the failed delivery shows in
// the job; a record around a 1 MB event is cut to fit, not let past the
// limit.
func TestHostileDestinations(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	loopa, loopb := s.fn("loopa"), s.fn("loopb")
	deployAsyncFn(s, loopa, "--max-retries", "0")
	deployAsyncFn(s, loopb, "--max-retries", "0", "--on-failure", loopa)

	t.Run("destination cycles refused", func(t *testing.T) {
		s := *s
		s.t = t
		for _, c := range []struct {
			loop string
			args []string
		}{
			{"on_failure", []string{"config", loopa, "--on-failure", loopb}},
			{"on_success", []string{"config", loopa, "--on-success", loopb}},
			{"on_failure", []string{"deploy", "--image", goImage(t, "asyncfn"), "--name", loopa, "--max-instances", "1", "--on-failure", loopb}},
		} {
			res := s.lambda(c.args...)
			want := loopa + " " + c.loop + " → " + loopb + " on_failure → " + loopa
			if res.code == 0 || !strings.Contains(res.stderr, `leads back to "`+loopa+`"`) || !strings.Contains(res.stderr, want) {
				t.Errorf("lambda %s: exit %d, stderr %q; want refused, naming the loop %s", strings.Join(c.args, " "), res.code, res.stderr, want)
			}
		}
		var fn struct{ Scaling lambda.Scaling }
		if err := json.Unmarshal([]byte(s.mustLambda("describe", loopa, "-o", "json").stdout), &fn); err != nil || fn.Scaling.OnFailure != "" || fn.Scaling.OnSuccess != "" {
			t.Errorf("loopa after the refusals: %+v, %v; want no destination", fn.Scaling, err)
		}
		// loopb → loopa still delivers, once: loopa has no destination.
		id := mustSubmit(&s, loopb, `{"tag":"loop","fail":-1}`)
		j := waitJob(&s, id, 60*time.Second, ended)
		if j.Status != lambda.StatusDead || j.Destination == nil || j.Destination.ID == "" || j.Destination.Function != loopa {
			t.Fatalf("loopb's failed job: %s, destination %+v; want dead with its record queued for loopa", j.Status, j.Destination)
		}
		d := waitJob(&s, j.Destination.ID, 60*time.Second, ended)
		if d.Function != loopa || d.Depth != 1 || d.Status != lambda.StatusSucceeded || d.Destination != nil {
			t.Errorf("the record's job: %s %s depth %d destination %+v; want loopa's, succeeded, at depth 1, sent nowhere", d.Function, d.Status, d.Depth, d.Destination)
		}
		time.Sleep(2 * time.Second)
		if n := len(listJobs(&s, loopb, "limit=1000")); n != 1 {
			t.Errorf("loopb has %d invocations, want the one submitted", n)
		}
	})

	t.Run("a destination the key does not cover", func(t *testing.T) {
		s := *s
		s.t = t
		private := s.fn("dest-private")
		deployAsyncFn(&s, private, "--auth", "key")
		var key struct{ ID, Secret string }
		res := s.mustLambda("keys", "create", "only-"+loopa, "--scope", "deploy", "--function", loopa, "-o", "json")
		if err := json.Unmarshal([]byte(res.stdout), &key); err != nil || key.Secret == "" {
			t.Fatalf("keys create -o json: %v %s", err, res.stdout)
		}
		for _, args := range [][]string{
			{"config", loopa, "--on-success", private},
			{"config", loopa, "--on-failure", private},
			{"deploy", "--image", goImage(t, "asyncfn"), "--name", loopa, "--max-instances", "1", "--on-success", private},
		} {
			res := s.lambda(append([]string{"--api-key", key.Secret}, args...)...)
			if res.code == 0 || !strings.Contains(res.stderr, "does not cover it") || !strings.Contains(res.stderr, "--function "+private) {
				t.Errorf("lambda %s with a key for %s only: exit %d, stderr %q; want forbidden, saying which key to use", strings.Join(args, " "), loopa, res.code, res.stderr)
			}
		}
		status, _, body := apiCall(&s, "PATCH", "/v1/functions/"+loopa+"/scaling", []byte(`{"on_failure":"`+private+`"}`), map[string]string{"Authorization": "Bearer " + key.Secret})
		if status != http.StatusForbidden || !strings.Contains(body, `"forbidden"`) {
			t.Errorf("PATCH scaling with the limited key: %d %s, want 403 forbidden", status, trimBody(body))
		}
		// The key may still change loopa's other settings, and clear
		// destinations; an admin may aim it at the private function.
		s.mustLambda("--api-key", key.Secret, "config", loopa, "--max-retries", "0", "--on-success", "")
		s.mustLambda("config", loopa, "--on-success", private)
		s.mustLambda("config", loopa, "--on-success", "")
		s.mustLambda("keys", "revoke", key.ID)
		s.mustLambda("delete", private)
	})

	t.Run("deleting a destination", func(t *testing.T) {
		s := *s
		s.t = t
		dsta, dstb := s.fn("dsta"), s.fn("dstb")
		deployAsyncFn(&s, dstb)
		deployAsyncFn(&s, dsta, "--max-retries", "0", "--on-failure", dstb)
		res := s.mustLambda("delete", dstb)
		if want := `function "` + dsta + `" names "` + dstb + `" as its on_failure destination`; !strings.Contains(res.stderr, want) || !strings.Contains(res.stderr, "lambda config "+dsta+` --on-failure ""`) {
			t.Errorf("lambda delete %s: stderr %q, want a warning: %s…", dstb, res.stderr, want)
		}
		id := mustSubmit(&s, dsta, `{"tag":"orphan","fail":-1}`)
		j := waitJob(&s, id, 60*time.Second, ended)
		if d := j.Destination; j.Status != lambda.StatusDead || d == nil || d.ID != "" || d.Function != dstb || !strings.Contains(d.Error, "not delivered") {
			t.Errorf("dsta's job: %s, destination %+v; want dead, its record's failed delivery recorded", j.Status, d)
		}
		out := s.mustLambda("invocation", id).stdout
		if !strings.Contains(out, "on_failure "+dstb+" (RetriesExhausted): not delivered") {
			t.Errorf("lambda invocation %s does not show the failed delivery:\n%s", id, out)
		}
		s.mustLambda("delete", dsta)
	})

	t.Run("a record around a 1 MB event", func(t *testing.T) {
		s := *s
		s.t = t
		big, sink := s.fn("dest-big"), s.fn("dest-sink")
		deployAsyncFn(&s, sink)
		deployAsyncFn(&s, big, "--on-success", sink)
		event := `{"tag":"big","pad":"` + strings.Repeat("x", lambda.MaxAsyncPayloadBytes-40) + `"}`
		id := mustSubmit(&s, big, event)
		j := waitJob(&s, id, 60*time.Second, ended)
		if d := j.Destination; j.Status != lambda.StatusSucceeded || d == nil || d.ID == "" || !d.Truncated {
			t.Fatalf("the 1 MB event's job: %s, destination %+v; want succeeded, its record queued and cut", j.Status, d)
		}
		r := waitJob(&s, j.Destination.ID, 60*time.Second, ended)
		var rec lambda.DestinationRecord
		if err := json.Unmarshal(r.Payload, &rec); err != nil {
			t.Fatalf("the record's job payload is not a record: %v", err)
		}
		if n := len(r.Payload); n > lambda.MaxAsyncPayloadBytes || n < lambda.MaxAsyncPayloadBytes-4096 {
			t.Errorf("the record is %d bytes; want at most the 1 MB limit (%d), and nearly all of it", n, lambda.MaxAsyncPayloadBytes)
		}
		if !rec.RequestPayloadTruncated || rec.RequestContext.RequestID != id || r.Status != lambda.StatusSucceeded {
			t.Errorf("record: request cut %v, request ID %q, its job %s; want cut, %s, succeeded", rec.RequestPayloadTruncated, rec.RequestContext.RequestID, r.Status, id)
		}
		s.mustLambda("delete", big)
		s.mustLambda("delete", sink)
	})
	s.mustLambda("delete", loopb)
	s.mustLambda("delete", loopa)
}
