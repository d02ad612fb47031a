package http

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/lambdahq/lambda"
)

// sdkClient is the real AWS SDK Lambda client pointed at url. Retries are
// off so each error is seen as the server sent it.
func sdkClient(url string) *awslambda.Client {
	return awslambda.New(awslambda.Options{
		BaseEndpoint:     aws.String(url),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
	})
}

func invoke(t *testing.T, c *awslambda.Client, in *awslambda.InvokeInput) *awslambda.InvokeOutput {
	t.Helper()
	out, err := c.Invoke(context.Background(), in)
	if err != nil {
		t.Fatalf("Invoke(%s): %v", aws.ToString(in.FunctionName), err)
	}
	return out
}

// functionError decodes the error document of a failed invocation.
func functionError(t *testing.T, out *awslambda.InvokeOutput) functionErrorBody {
	t.Helper()
	var e functionErrorBody
	if aws.ToString(out.FunctionError) != "Unhandled" || out.StatusCode != 200 || json.Unmarshal(out.Payload, &e) != nil {
		t.Fatalf("got status %d, function error %q, payload %s; want 200, Unhandled and an error document", out.StatusCode, aws.ToString(out.FunctionError), out.Payload)
	}
	return e
}

func TestLambdaInvokeSDK(t *testing.T) {
	srv, shim := newLambdaAPIServer(t)
	c := sdkClient(srv.URL)

	t.Run("request response", func(t *testing.T) {
		out := invoke(t, c, &awslambda.InvokeInput{FunctionName: aws.String("greet"), Payload: []byte(`{"do":"echo","n":1}`)})
		if out.StatusCode != 200 || string(out.Payload) != `{"do":"echo","n":1}` || out.FunctionError != nil || out.LogResult != nil {
			t.Fatalf("got %d %s, function error %v, log %v", out.StatusCode, out.Payload, out.FunctionError, out.LogResult)
		}
		if v := aws.ToString(out.ExecutedVersion); v != "7" {
			t.Errorf("executed version %q, want 7", v)
		}
		call := shim.last()
		id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
		if id == "" || call.header.Get(HeaderRequestID) != id {
			t.Errorf("request id %q answered, the shim got %q", id, call.header.Get(HeaderRequestID))
		}
		if call.header.Get(HeaderInvokeMode) != "raw" || call.header.Get("Content-Type") != "application/json" {
			t.Errorf("shim got headers %v, want a raw JSON invocation", call.header)
		}
		if call.header.Get("Authorization") != "" || call.header.Get("X-Amz-Date") != "" {
			t.Errorf("client credentials reached the function: %v", call.header)
		}
	})
	t.Run("empty payload is {}", func(t *testing.T) {
		invoke(t, c, &awslambda.InvokeInput{FunctionName: aws.String("greet")})
		if body := shim.last().body; body != "{}" {
			t.Errorf("event %q, want {}", body)
		}
	})
	t.Run("dry run", func(t *testing.T) {
		before := shim.count()
		out := invoke(t, c, &awslambda.InvokeInput{FunctionName: aws.String("greet"), InvocationType: types.InvocationTypeDryRun})
		if out.StatusCode != 204 || shim.count() != before {
			t.Errorf("status %d and %d invocations, want 204 and none", out.StatusCode, shim.count()-before)
		}
	})
	t.Run("log tail", func(t *testing.T) {
		out := invoke(t, c, &awslambda.InvokeInput{FunctionName: aws.String("greet"), LogType: types.LogTypeTail, Payload: []byte(`{}`)})
		log, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
		// Lambda's lines around the shim's tail.
		if err != nil || !strings.HasPrefix(string(log), "START RequestId: "+id+" Version: 7\nlog of "+id+"\nEND RequestId: "+id+"\nREPORT RequestId: "+id+"\tDuration: ") {
			t.Errorf("log result %q (%v), want START, the shim's tail, END and REPORT of %s", log, err, id)
		}
	})
	t.Run("function error", func(t *testing.T) {
		out := invoke(t, c, &awslambda.InvokeInput{FunctionName: aws.String("greet"), Payload: []byte(`{"do":"fail"}`)})
		if e := functionError(t, out); e.ErrorMessage != "boom" || e.ErrorType != "Error" {
			t.Errorf("error document %+v", e)
		}
	})
	t.Run("timeout in the shim", func(t *testing.T) {
		out := invoke(t, c, &awslambda.InvokeInput{FunctionName: aws.String("greet"), Payload: []byte(`{"do":"timeout"}`)})
		id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
		e := functionError(t, out)
		if e.ErrorType != "Sandbox.Timedout" || !strings.HasSuffix(e.ErrorMessage, " "+id+" Task timed out after 2.00 seconds") {
			t.Errorf("error document %+v", e)
		}
	})
	t.Run("timeout in the gateway", func(t *testing.T) {
		out := invoke(t, c, &awslambda.InvokeInput{FunctionName: aws.String("web"), Payload: []byte(`{"sleep":true}`)})
		if e := functionError(t, out); e.ErrorType != "Sandbox.Timedout" || !strings.HasSuffix(e.ErrorMessage, "Task timed out after 0.20 seconds") {
			t.Errorf("error document %+v", e)
		}
	})
	t.Run("instance hangs up", func(t *testing.T) {
		out := invoke(t, c, &awslambda.InvokeInput{FunctionName: aws.String("greet"), Payload: []byte(`{"do":"hangup"}`)})
		if e := functionError(t, out); e.ErrorType != "Runtime.ExitError" || !strings.Contains(e.ErrorMessage, "failed to answer") {
			t.Errorf("error document %+v", e)
		}
	})
	t.Run("http function error status", func(t *testing.T) {
		out := invoke(t, c, &awslambda.InvokeInput{FunctionName: aws.String("web"), Payload: []byte(`{"status":503}`)})
		if aws.ToString(out.FunctionError) != "Unhandled" || string(out.Payload) != "busy" || aws.ToString(out.ExecutedVersion) != "1" {
			t.Errorf("got %q %q version %q", aws.ToString(out.FunctionError), out.Payload, aws.ToString(out.ExecutedVersion))
		}
	})
}

func TestLambdaInvokeSDKQualifiers(t *testing.T) {
	srv, _ := newLambdaAPIServer(t)
	c := sdkClient(srv.URL)
	const arn = "arn:aws:lambda:us-east-1:000000000000:function:greet"
	tests := []struct {
		name, qualifier string
		wantErr         any // nil, or a pointer to the SDK's typed error
		msgHas          string
		version         string // the executed version ("": 7, the active one)
	}{
		{name: "greet"},
		{name: "greet:7"},
		{name: "greet:$LATEST"},
		{name: "greet", qualifier: "7"},
		{name: "greet", qualifier: "$LATEST"},
		{name: "greet:7", qualifier: "7"},
		{name: arn},
		{name: arn + ":7"},
		{name: arn, qualifier: "$LATEST"},
		{name: "123456789012:function:greet:7"},
		{name: "greet:3", version: "3"},
		{name: arn, qualifier: "3", version: "3"},
		{name: "greet:7", qualifier: "3", wantErr: new(*types.InvalidParameterValueException), msgHas: "does not match"},
		{name: "greet:99", wantErr: new(*types.ResourceNotFoundException), msgHas: "version 99"},
		{name: "greet", qualifier: "prod", wantErr: new(*types.ResourceNotFoundException), msgHas: "no alias"},
		{name: "greet", qualifier: "Prod", wantErr: new(*types.InvalidParameterValueException), msgHas: "contains 'P'"},
		{name: "greet:03", wantErr: new(*types.InvalidParameterValueException), msgHas: "not a version number"},
		{name: "nosuch", wantErr: new(*types.ResourceNotFoundException), msgHas: `"nosuch" not found`},
		{name: "arn:aws:lambda:us-east-1:000000000000:function:nosuch", wantErr: new(*types.ResourceNotFoundException)},
		{name: "Greet", wantErr: new(*types.InvalidParameterValueException), msgHas: "lowercase"},
		{name: "greet:a:b", wantErr: new(*types.InvalidParameterValueException), msgHas: "too many"},
		{name: "greet/x", wantErr: new(*types.InvalidParameterValueException), msgHas: "contains '/'"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"?"+tt.qualifier, func(t *testing.T) {
			in := &awslambda.InvokeInput{FunctionName: aws.String(tt.name), Payload: []byte(`{}`)}
			if tt.qualifier != "" {
				in.Qualifier = aws.String(tt.qualifier)
			}
			out, err := c.Invoke(context.Background(), in)
			checkSDKError(t, err, tt.wantErr, tt.msgHas)
			if tt.version == "" {
				tt.version = "7"
			}
			if tt.wantErr == nil && aws.ToString(out.ExecutedVersion) != tt.version {
				t.Errorf("executed version %q", aws.ToString(out.ExecutedVersion))
			}
		})
	}
}

func TestLambdaInvokeSDKErrors(t *testing.T) {
	srv, _ := newLambdaAPIServer(t)
	c := sdkClient(srv.URL)
	tests := []struct {
		name     string
		in       awslambda.InvokeInput
		wantErr  any
		msgHas   string
		wantType string
	}{
		{"unknown function", awslambda.InvokeInput{FunctionName: aws.String("nosuch")}, new(*types.ResourceNotFoundException), `deploy it with "lambda deploy"`, "User"},
		{"payload not JSON", awslambda.InvokeInput{FunctionName: aws.String("greet"), Payload: []byte(`{"a":`)}, new(*types.InvalidRequestContentException), "could not parse the payload as JSON", "User"},
		{"two JSON values", awslambda.InvokeInput{FunctionName: aws.String("greet"), Payload: []byte(`{} {}`)}, new(*types.InvalidRequestContentException), "invalid character", "User"},
		{"JSON nested too deep", awslambda.InvokeInput{FunctionName: aws.String("greet"), Payload: []byte(strings.Repeat("[", 10001) + strings.Repeat("]", 10001))}, new(*types.InvalidRequestContentException), "deeper than 10000 levels", "User"},
		{"payload not UTF-8", awslambda.InvokeInput{FunctionName: aws.String("greet"), Payload: []byte("\"caf\xe9\"")}, new(*types.InvalidRequestContentException), "not valid UTF-8", "User"},
		{"event without the async queue", awslambda.InvokeInput{FunctionName: aws.String("greet"), InvocationType: types.InvocationTypeEvent}, new(*types.InvalidParameterValueException), "not available on this server", "User"},
		{"event on unknown function", awslambda.InvokeInput{FunctionName: aws.String("nosuch"), InvocationType: types.InvocationTypeEvent}, new(*types.ResourceNotFoundException), `"nosuch" not found, or it has no active version: deploy it with "lambda deploy"`, "User"},
		{"unknown invocation type", awslambda.InvokeInput{FunctionName: aws.String("greet"), InvocationType: "Later"}, new(*types.InvalidParameterValueException), "RequestResponse, Event or DryRun", "User"},
		{"unknown log type", awslambda.InvokeInput{FunctionName: aws.String("greet"), LogType: "Head"}, new(*types.InvalidParameterValueException), "None or Tail", "User"},
		{"too large", awslambda.InvokeInput{FunctionName: aws.String("greet"), Payload: []byte(`"` + strings.Repeat("x", lambda.MaxPayloadBytes) + `"`)}, new(*types.RequestTooLargeException), "6291456 bytes", "User"},
		{"docker down", awslambda.InvokeInput{FunctionName: aws.String("down")}, new(*types.ServiceException), "docker is unreachable", "Service"},
		{"throttled", awslambda.InvokeInput{FunctionName: aws.String("busy")}, new(*types.TooManyRequestsException), "max instances", "User"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Invoke(context.Background(), &tt.in)
			checkSDKError(t, err, tt.wantErr, tt.msgHas)
			if got := errorFault(err); got != tt.wantType {
				t.Errorf("Type %q, want %q", got, tt.wantType)
			}
		})
	}
}

// checkSDKError asserts that err is nil when want is, and otherwise the
// SDK's typed error *want with a message containing msgHas.
func checkSDKError(t *testing.T, err error, want any, msgHas string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var apiErr smithy.APIError
	if !errors.As(err, want) || !errors.As(err, &apiErr) {
		t.Fatalf("error %v (%T), want %T", err, err, want)
	}
	if apiErr.ErrorMessage() == "" || !strings.Contains(apiErr.ErrorMessage(), msgHas) {
		t.Errorf("message %q, want it to contain %q", apiErr.ErrorMessage(), msgHas)
	}
}

// errorFault returns the Type field the SDK decoded into its typed error.
func errorFault(err error) string {
	var (
		nf  *types.ResourceNotFoundException
		ip  *types.InvalidParameterValueException
		ic  *types.InvalidRequestContentException
		tl  *types.RequestTooLargeException
		se  *types.ServiceException
		tmr *types.TooManyRequestsException
	)
	switch {
	case errors.As(err, &nf):
		return aws.ToString(nf.Type)
	case errors.As(err, &ip):
		return aws.ToString(ip.Type)
	case errors.As(err, &ic):
		return aws.ToString(ic.Type)
	case errors.As(err, &tl):
		return aws.ToString(tl.Type)
	case errors.As(err, &se):
		return aws.ToString(se.Type)
	case errors.As(err, &tmr):
		return aws.ToString(tmr.Type)
	}
	return ""
}
