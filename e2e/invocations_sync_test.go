package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdahq/lambda"
)

// TestInvocationsSync: synchronous invocations (requests through the
// gateway, lambda invoke) are listed by `lambda invocations NAME` with the
// jobs, newest first, each with its trigger, status and duration; an async
// job and an idempotent call appear once each (their jobs), not again as
// records; `lambda invocation ID` shows a synchronous one; paging lists
// each once; deleting the function takes its records.
func TestInvocationsSync(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("sync-history")
	deployAsyncFn(s, name)

	const viaGateway = 5
	for range viaGateway {
		if resp, body := s.request("POST", s.host(name), "/", []byte(`{"via":"gateway"}`)); resp.StatusCode != 200 {
			t.Fatalf("POST through the gateway: %d %s", resp.StatusCode, body)
		}
	}
	s.mustLambda("invoke", name, "--data", `{"via":"cli"}`)
	if res := s.lambda("invoke", name, "--data", `{"fail":-1}`); !strings.Contains(res.stdout+res.stderr, "500") && res.code == 0 {
		t.Logf("a failing lambda invoke: exit %d %s %s", res.code, res.stdout, res.stderr)
	}
	// The Lambda Invoke API (RequestResponse): its request ID names the record.
	var key struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(s.mustLambda("keys", "create", "history-"+name, "--scope", "invoke", "-o", "json").stdout), &key); err != nil || key.ID == "" {
		t.Fatalf("keys create -o json: %v %+v", err, key)
	}
	client := awslambda.New(awslambda.Options{
		BaseEndpoint: aws.String(s.url("")),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(key.ID, key.Secret, ""),
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"via":"sdk"}`)})
	if err != nil {
		t.Fatalf("SDK Invoke: %v", err)
	}
	apiID, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	asyncID := mustSubmit(s, name, `{"via":"async"}`)
	waitJob(s, asyncID, 60*time.Second, ended)
	s.mustLambda("invoke", name, "--idempotency-key", "sync-history-1", "--data", `{"via":"idempotent"}`)

	// Records are written in batches within about 100 ms: wait, bounded,
	// for all of them.
	list := func(args ...string) []lambda.Job {
		t.Helper()
		res := s.mustLambda(append([]string{"invocations", name, "-o", "json"}, args...)...)
		var jobs []lambda.Job
		if err := json.Unmarshal([]byte(res.stdout), &jobs); err != nil {
			t.Fatalf("lambda invocations -o json: %v\n%s", err, res.stdout)
		}
		return jobs
	}
	const want = viaGateway + 2 + 1 + 1 + 1 // gateway, invoke ok and failed, API, async, idempotent
	var all []lambda.Job
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if all = list("--limit", "1000"); len(all) >= want || time.Now().After(deadline) {
			break
		}
	}
	count := func(pred func(j lambda.Job) bool) int {
		return len(slices.DeleteFunc(slices.Clone(all), func(j lambda.Job) bool { return !pred(j) }))
	}
	record := func(j lambda.Job) bool { return j.Sync && j.IdempotencyKey == "" }
	if len(all) != want {
		t.Fatalf("listed %d invocations, want %d: %+v", len(all), want, all)
	}
	if n := count(func(j lambda.Job) bool { return record(j) && j.Trigger == lambda.TriggerHTTP }); n != viaGateway {
		t.Errorf("%d records with trigger http, want %d", n, viaGateway)
	}
	if n := count(func(j lambda.Job) bool { return record(j) && j.Trigger == lambda.TriggerInvoke }); n != 2 {
		t.Errorf("%d records with trigger invoke, want 2", n)
	}
	if n := count(func(j lambda.Job) bool { return record(j) && j.Trigger == lambda.TriggerAPI && j.ID == apiID }); n != 1 {
		t.Errorf("the Invoke API's call (request ID %s) is listed %d times, want once with trigger api", apiID, n)
	}
	if n := count(func(j lambda.Job) bool { return j.ID == asyncID }); n != 1 {
		t.Errorf("the async job is listed %d times, want once", n)
	}
	if n := count(func(j lambda.Job) bool { return j.IdempotencyKey == "sync-history-1" }); n != 1 {
		t.Errorf("the idempotent call is listed %d times, want once (its job)", n)
	}
	var failed *lambda.Job
	for i, j := range all {
		if i > 0 && j.CreatedAt.After(all[i-1].CreatedAt) {
			t.Errorf("not newest first: %s (%s) after %s (%s)", j.ID, j.CreatedAt, all[i-1].ID, all[i-1].CreatedAt)
		}
		if !record(j) {
			continue
		}
		if j.StartedAt == nil || j.Duration <= 0 || j.Attempts != 1 || j.Version != 1 || len(j.History) != 1 {
			t.Errorf("record %+v: want started, a duration, one attempt of version 1", j)
		}
		switch j.Status {
		case lambda.StatusSucceeded:
			if j.HTTPStatus != 200 {
				t.Errorf("succeeded record %s with HTTP %d", j.ID, j.HTTPStatus)
			}
		case lambda.StatusFailed:
			failed = &j
		default:
			t.Errorf("record %s is %s, want succeeded or failed", j.ID, j.Status)
		}
	}
	if failed == nil || failed.Trigger != lambda.TriggerInvoke || failed.HTTPStatus != 500 {
		t.Fatalf("the failed lambda invoke: %+v, want a failed record with HTTP 500", failed)
	}

	// Filters mean something for records.
	if l := list("--status", "failed"); len(l) != 1 || l[0].ID != failed.ID {
		t.Errorf("--status failed: %+v, want the failed invoke alone", l)
	}
	if l := list("--status", "dead"); len(l) != 0 {
		t.Errorf("--status dead: %+v, want none", l)
	}
	if l := list("--since", "1h"); len(l) != want {
		t.Errorf("--since 1h: %d, want %d", len(l), want)
	}
	// Pages of 2 list each once, in the same order.
	paged := list("--limit", "2", "--all")
	if len(paged) != len(all) {
		t.Errorf("--limit 2 --all listed %d, want %d", len(paged), len(all))
	}
	for i := range min(len(paged), len(all)) {
		if paged[i].ID != all[i].ID {
			t.Errorf("--limit 2 --all: entry %d is %s, want %s", i, paged[i].ID, all[i].ID)
		}
	}
	// The table names the trigger.
	if res := s.mustLambda("invocations", name); !strings.Contains(res.stdout, "TRIGGER") || !strings.Contains(res.stdout, " http ") || !strings.Contains(res.stdout, " invoke ") {
		t.Errorf("lambda invocations:\n%s", res.stdout)
	}

	// lambda invocation ID shows a synchronous one.
	if j := cliJob(s, failed.ID); j.ID != failed.ID || j.Status != lambda.StatusFailed || j.Trigger != lambda.TriggerInvoke || j.Function != name {
		t.Errorf("lambda invocation %s -o json: %+v", failed.ID, j)
	}
	if res := s.mustLambda("invocation", failed.ID); !strings.Contains(res.stdout, "failed") || !strings.Contains(res.stdout, "HTTP status:") {
		t.Errorf("lambda invocation %s:\n%s", failed.ID, res.stdout)
	}
	if j := cliJob(s, apiID); j.ID != apiID || j.Trigger != lambda.TriggerAPI || j.Status != lambda.StatusSucceeded {
		t.Errorf("lambda invocation %s (the Invoke API's request ID) -o json: %+v", apiID, j)
	}
	if res := s.lambda("invocation", "no-such-invocation"); res.code == 0 || !strings.Contains(res.stderr, "not found") || !strings.Contains(res.stderr, "synchronous") {
		t.Errorf("lambda invocation of an unknown ID: exit %d %s", res.code, res.stderr)
	}

	// Deleting the function takes its records.
	s.mustLambda("delete", name)
	if status, _, body := getJob(s, failed.ID); status != 404 {
		t.Errorf("a deleted function's record: %d %s, want 404", status, body)
	}
}
