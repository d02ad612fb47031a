package e2e

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/lambdahq/lambda"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// TestAsyncSubmit submits asynchronous invocations the three ways a user
// can — the CLI, the API and the AWS SDK's Event invocation type — and
// follows each to its end: the function ran once with the event, under the
// ID the submitter was given, and the record holds its answer.
func TestAsyncSubmit(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("async-submit")
	deployAsyncFn(s, name)

	// ranOnce checks the function saw id exactly once, with marker in the
	// event.
	ranOnce := func(how, id, marker string) {
		t.Helper()
		seen := seenBy(s, name)
		r, ok := seen.Requests[id]
		if !ok || r.Count != 1 || !strings.Contains(r.Bodies[0], marker) {
			t.Errorf("%s: the function saw request %s %d times (%v), want once with %s", how, id, r.Count, r.Bodies, marker)
		}
	}
	// succeeded checks a finished record: the function's answer is kept.
	succeeded := func(how string, j *lambda.Job, trigger lambda.Trigger, marker string) {
		t.Helper()
		if j.Status != lambda.StatusSucceeded || j.Attempts != 1 || j.Function != name || j.Trigger != trigger ||
			!strings.Contains(string(j.Response), marker) || j.HTTPStatus != 200 || j.StartedAt == nil || j.FinishedAt == nil {
			t.Errorf("%s: record %+v (response %s), want succeeded after 1 attempt, trigger %s, the answer holding %s", how, j, j.Response, trigger, marker)
		}
		// Served by this function's instance, under the job's ID.
		var answer struct{ ID, Function string }
		if err := json.Unmarshal(j.Response, &answer); err != nil || answer.ID != j.ID || answer.Function != name {
			t.Errorf("%s: answered %s, want an answer of function %s under request ID %s", how, j.Response, name, j.ID)
		}
	}

	t.Run("cli", func(t *testing.T) {
		s := *s
		s.t = t
		res := s.mustLambda("invoke", name, "--async", "--data", `{"via":"cli-async"}`)
		id := strings.TrimSpace(res.stdout)
		if !uuidRE.MatchString(id) {
			t.Fatalf("lambda invoke --async printed %q, want the invocation ID alone", res.stdout)
		}
		j := waitJob(&s, id, 30*time.Second, ended)
		succeeded("invoke --async", j, lambda.TriggerAsync, "cli-async")
		ranOnce("invoke --async", id, "cli-async")
		if cj := cliJob(&s, id); cj.ID != id || cj.Status != lambda.StatusSucceeded || len(cj.History) != 1 {
			t.Errorf("lambda invocation %s -o json: %+v", id, cj)
		}
		var alias lambda.Job
		if res := s.mustLambda("invocations", "get", id, "-o", "json"); json.Unmarshal([]byte(res.stdout), &alias) != nil || alias.ID != id || !strings.Contains(string(alias.Response), "cli-async") {
			t.Errorf("lambda invocations get %s -o json:\n%s", id, res.stdout)
		}

		// -o json prints the record.
		res = s.mustLambda("invoke", name, "--async", "--data", `{"via":"cli-json"}`, "-o", "json")
		var rec lambda.Job
		if err := json.Unmarshal([]byte(res.stdout), &rec); err != nil || !uuidRE.MatchString(rec.ID) || rec.Status == "" {
			t.Fatalf("lambda invoke --async -o json: %v\n%s", err, res.stdout)
		}
		succeeded("invoke --async -o json", waitJob(&s, rec.ID, 30*time.Second, ended), lambda.TriggerAsync, "cli-json")

		// --wait follows it and prints the function's answer, as a
		// synchronous invoke would.
		res = s.mustLambda("invoke", name, "--async", "--wait", "--data", `{"via":"cli-wait"}`)
		var answer struct {
			ID    string          `json:"id"`
			Event json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(res.stdout)), &answer); err != nil || !strings.Contains(string(answer.Event), "cli-wait") {
			t.Fatalf("lambda invoke --async --wait printed %q (%v), want the function's answer", res.stdout, err)
		}
		succeeded("invoke --async --wait", waitJob(&s, answer.ID, 5*time.Second, ended), lambda.TriggerAsync, "cli-wait")

		// The listing shows them, newest first.
		res = s.mustLambda("invocations", name, "-o", "json")
		list, err := decodeJobs(res.stdout)
		if err != nil || len(list) < 3 {
			t.Fatalf("lambda invocations -o json: %v\n%s", err, res.stdout)
		}
		if list[0].ID != answer.ID {
			t.Errorf("lambda invocations: the newest is %s, want %s (the last submitted)", list[0].ID, answer.ID)
		}
		if res := s.mustLambda("invocations", name); !strings.Contains(res.stdout, id) || !strings.Contains(res.stdout, "succeeded") {
			t.Errorf("lambda invocations:\n%s", res.stdout)
		}
		if res := s.mustLambda("invocations", name, "--status", "dead", "-o", "json"); strings.Contains(res.stdout, id) {
			t.Errorf("lambda invocations --status dead lists a succeeded job:\n%s", res.stdout)
		}
		if l, err := decodeJobs(s.mustLambda("invocations", name, "--limit", "1", "-o", "json").stdout); err != nil || len(l) != 1 || l[0].ID != answer.ID {
			t.Errorf("lambda invocations --limit 1: %v %+v, want the newest alone", err, l)
		}
		if l, err := decodeJobs(s.mustLambda("invocations", name, "--since", "1h", "-o", "json").stdout); err != nil || len(l) != len(list) {
			t.Errorf("lambda invocations --since 1h: %v, %d jobs, want all %d", err, len(l), len(list))
		}
	})

	t.Run("records are the function's", func(t *testing.T) {
		s := *s
		s.t = t
		id := mustSubmit(&s, name, `{"via":"scoped"}`)
		waitJob(&s, id, 30*time.Second, ended)
		// A key limited to another function learns nothing of this one's
		// invocations, not even that they exist.
		var key struct{ ID, Secret string }
		res := s.mustLambda("keys", "create", "other-"+name, "--scope", "read", "--function", "other-"+runID, "-o", "json")
		if err := json.Unmarshal([]byte(res.stdout), &key); err != nil || key.Secret == "" {
			t.Fatalf("keys create -o json: %v %s", err, res.stdout)
		}
		auth := map[string]string{"Authorization": "Bearer " + key.Secret}
		if status, _, body := apiCall(&s, "GET", "/v1/invocations/"+id, nil, auth); status != 404 {
			t.Errorf("GET another function's invocation with a limited key: %d %s, want 404", status, body)
		}
		if status, _, body := apiCall(&s, "GET", "/v1/functions/"+name+"/invocations", nil, auth); status != 403 && status != 404 {
			t.Errorf("list another function's invocations with a limited key: %d %s, want 403 or 404", status, body)
		}
		if status, _, body := apiCall(&s, "GET", "/v1/invocations/"+id, nil, nil); status != 200 {
			t.Errorf("GET the invocation with the admin key: %d %s", status, body)
		}
	})

	t.Run("api", func(t *testing.T) {
		s := *s
		s.t = t
		id := mustSubmit(&s, name, `{"via":"api"}`)
		j := waitJob(&s, id, 30*time.Second, ended)
		succeeded("POST invocations", j, lambda.TriggerAsync, `"via":"api"`)
		ranOnce("POST invocations", id, `"via":"api"`)
	})

	t.Run("aws sdk Event", func(t *testing.T) {
		s := *s
		s.t = t
		var key struct{ ID, Secret string }
		if err := json.Unmarshal([]byte(s.mustLambda("keys", "create", "async-"+name, "--scope", "invoke", "-o", "json").stdout), &key); err != nil || key.ID == "" {
			t.Fatalf("keys create -o json: %v %+v", err, key)
		}
		client := awslambda.New(awslambda.Options{
			BaseEndpoint: aws.String(s.url("")),
			Region:       "us-east-1",
			Credentials:  credentials.NewStaticCredentialsProvider(key.ID, key.Secret, ""),
		})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := client.Invoke(ctx, &awslambda.InvokeInput{
			FunctionName:   aws.String(name),
			InvocationType: types.InvocationTypeEvent,
			Payload:        []byte(`{"via":"sdk-event"}`),
		})
		if err != nil {
			t.Fatalf("SDK Invoke Event: %v", err)
		}
		id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
		if out.StatusCode != 202 || len(out.Payload) != 0 || !uuidRE.MatchString(id) {
			t.Fatalf("SDK Invoke Event: status %d, payload %q, request ID %q; want 202, empty, the job's ID", out.StatusCode, out.Payload, id)
		}
		j := waitJob(&s, id, 30*time.Second, ended)
		succeeded("SDK Event", j, lambda.TriggerAPI, "sdk-event")
		ranOnce("SDK Event", id, "sdk-event")
	})
	s.mustLambda("delete", name)
}
