package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestOutOfMemory: a function that allocates past its memory limit is
// killed by the kernel; the client is told so, with the limit, rather
// than "failed to answer: EOF" or a bare "exited with status 137" (Docker
// may report the OOM after the death), and the next request gets a new
// instance. The invocation is out_of_memory in its record, its REPORT
// says Error Type: Runtime.OutOfMemory, and the Invoke API answers Lambda's
// errorType Runtime.OutOfMemory.
func TestOutOfMemory(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("oom")
	s.mustLambda("deploy", "--image", goImage(t, "memhog"), "--name", name, "--memory", "32m")

	resp, body := s.request("GET", s.host(name), "/hog", nil)
	if resp.StatusCode != 502 || !strings.Contains(body, "ran out of memory") || !strings.Contains(body, "32m") || !strings.Contains(body, `"out_of_memory"`) {
		t.Errorf("a request that ran the function out of memory: %d %s; want 502 out_of_memory saying it ran out of memory (limit 32m)", resp.StatusCode, body)
	}
	if resp, body := s.request("GET", s.host(name), "/", nil); resp.StatusCode != 200 {
		t.Errorf("the request after the out-of-memory kill: %d %s, want 200 from a new instance", resp.StatusCode, body)
	}

	// Records and platform lines are written in the background: wait,
	// bounded, for the failed request's record (a gateway error does not
	// carry the invocation's ID) and its lines.
	var rec struct {
		ID        string `json:"id"`
		Status    string `json:"status"`
		ErrorType string `json:"error_type"`
	}
	waitFor(t, 30*time.Second, func() bool {
		var jobs []json.RawMessage
		res := s.lambda("invocations", name, "--status", "failed", "-o", "json")
		return res.code == 0 && json.Unmarshal([]byte(res.stdout), &jobs) == nil && len(jobs) > 0 && json.Unmarshal(jobs[0], &rec) == nil
	})
	if rec.ErrorType != "out_of_memory" {
		t.Errorf("the invocation's record: error_type %q, want out_of_memory", rec.ErrorType)
	}
	var logs string
	waitFor(t, 30*time.Second, func() bool {
		logs = s.lambda("logs", name, "--invocation", rec.ID).stdout
		return strings.Contains(logs, "REPORT RequestId: "+rec.ID)
	})
	if !strings.Contains(logs, "Status: error\tError Type: Runtime.OutOfMemory") || !strings.Contains(logs, "Runtime exited with error: signal: killed") {
		t.Errorf("the invocation's platform lines do not say Runtime.OutOfMemory:\n%s", logs)
	}

	// The Lambda Invoke API, as an SDK reads it.
	var key struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(s.mustLambda("keys", "create", "oom-"+name, "--scope", "invoke", "-o", "json").stdout), &key); err != nil || key.ID == "" {
		t.Fatalf("keys create -o json: %v %+v", err, key)
	}
	client := awslambda.New(awslambda.Options{
		BaseEndpoint: aws.String(s.url("")),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(key.ID, key.Secret, ""),
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// An http function's event is the body of a POST /.
	out, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"hog":true}`)})
	if err != nil {
		t.Fatalf("SDK Invoke: %v", err)
	}
	var doc struct{ ErrorType, ErrorMessage string }
	_ = json.Unmarshal(out.Payload, &doc)
	if aws.ToString(out.FunctionError) != "Unhandled" || doc.ErrorType != "Runtime.OutOfMemory" || !strings.Contains(doc.ErrorMessage, "ran out of memory") {
		t.Errorf("Invoke API: function error %q, payload %s; want Unhandled, errorType Runtime.OutOfMemory", aws.ToString(out.FunctionError), out.Payload)
	}
	s.mustLambda("delete", name)
}
