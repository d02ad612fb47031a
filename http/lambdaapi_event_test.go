package http

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdahq/lambda"
)

func TestLambdaInvokeEvent(t *testing.T) {
	s, async := newAsyncServer(t)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	c := sdkClient(srv.URL)

	tests := []struct {
		name          string
		in            awslambda.InvokeInput
		wantQualifier string
		wantPayload   string
	}{
		{"name", awslambda.InvokeInput{FunctionName: aws.String("greet"), Payload: []byte(`{"a":1}`)}, "", `{"a":1}`},
		{"no payload", awslambda.InvokeInput{FunctionName: aws.String("greet")}, "", `{}`},
		{"qualified name", awslambda.InvokeInput{FunctionName: aws.String("greet:7"), Payload: []byte(`[1]`)}, "7", `[1]`},
		{"Qualifier", awslambda.InvokeInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:greet"), Qualifier: aws.String("$LATEST")}, "$LATEST", `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.InvocationType = types.InvocationTypeEvent
			out := invoke(t, c, &tt.in)
			id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
			if out.StatusCode != http.StatusAccepted || len(out.Payload) != 0 {
				t.Errorf("status %d, payload %q", out.StatusCode, out.Payload)
			}
			job, err := async.FindJob(context.Background(), id)
			if err != nil {
				t.Fatalf("request ID %q names no job: %v", id, err)
			}
			if job.Function != "greet" || job.Trigger != lambda.TriggerAPI || job.Qualifier != tt.wantQualifier || string(job.Payload) != tt.wantPayload {
				t.Errorf("queued %+v", job)
			}
		})
	}
}

func TestLambdaInvokeEventRefusals(t *testing.T) {
	s, async := newAsyncServer(t)
	async.full["web"] = true
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	c := sdkClient(srv.URL)
	event := func(name string, payload []byte) awslambda.InvokeInput {
		return awslambda.InvokeInput{FunctionName: aws.String(name), InvocationType: types.InvocationTypeEvent, Payload: payload}
	}
	tests := []struct {
		name    string
		in      awslambda.InvokeInput
		wantErr any
		msgHas  string
		reached bool // the queue saw the call
	}{
		{"unknown function", event("nosuch", nil), new(*types.ResourceNotFoundException), `"nosuch" not found, or it has no active version: deploy it with "lambda deploy"`, false},
		{"over 1 MB", event("greet", []byte(`"`+strings.Repeat("x", lambda.MaxAsyncPayloadBytes)+`"`)), new(*types.RequestTooLargeException), "1048576 bytes", false},
		{"not JSON", event("greet", []byte(`{"a":`)), new(*types.InvalidRequestContentException), "could not parse the payload as JSON", false},
		{"not UTF-8", event("greet", []byte("{\"k\":\"caf\xe9\"}")), new(*types.InvalidRequestContentException), "not valid UTF-8", false},
		{"unknown version", event("greet:99", nil), new(*types.ResourceNotFoundException), "version 99", false},
		{"bad qualifier", event("greet:03", nil), new(*types.InvalidParameterValueException), "not a version number", false},
		{"alias", event("greet:prod", nil), new(*types.ResourceNotFoundException), "no alias", false},
		{"queue full", event("web", nil), new(*types.TooManyRequestsException), "queued invocations", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := async.counts()
			_, err := c.Invoke(context.Background(), &tt.in)
			checkSDKError(t, err, tt.wantErr, tt.msgHas)
			// The SDK reads RetryAfterSeconds from the Retry-After header.
			if tmr := (*types.TooManyRequestsException)(nil); errors.As(err, &tmr) && aws.ToString(tmr.RetryAfterSeconds) == "" {
				t.Errorf("TooManyRequestsException without RetryAfterSeconds")
			}
			if after, _ := async.counts(); (after > before) != tt.reached {
				t.Errorf("the queue saw %d calls, want reached=%v", after-before, tt.reached)
			}
		})
	}
	if len(async.jobs) != 0 {
		t.Errorf("%d jobs queued by refused calls", len(async.jobs))
	}
}

// The raw answer is Lambda's: 202, an empty body, the job ID as
// X-Amzn-RequestId; a repeated idempotency key names the same job.
func TestLambdaInvokeEventWire(t *testing.T) {
	s, async := newAsyncServer(t)
	post := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/2015-03-31/functions/greet/invocations", strings.NewReader(`{"k":1}`))
		req.Header.Set(amzInvocationType, invokeAsync)
		req.Header.Set(HeaderIdempotencyKey, "once")
		return serve(s, req)
	}
	first, second := post(), post()
	for _, rec := range []*httptest.ResponseRecorder{first, second} {
		if rec.Code != 202 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != "0" {
			t.Errorf("answer %d %q, headers %v", rec.Code, rec.Body, rec.Header())
		}
	}
	id := first.Header().Get(amzRequestID)
	if id == "" || second.Header().Get(amzRequestID) != id || len(async.jobs) != 1 || async.jobs[0].ID != id {
		t.Errorf("request IDs %q and %q for %d jobs", id, second.Header().Get(amzRequestID), len(async.jobs))
	}
	if first.Header().Get(HeaderIdempotentReplay) != "" || second.Header().Get(HeaderIdempotentReplay) != "true" {
		t.Errorf("replay headers %q, %q", first.Header().Get(HeaderIdempotentReplay), second.Header().Get(HeaderIdempotentReplay))
	}
}
