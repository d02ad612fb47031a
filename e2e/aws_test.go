package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// TestAWSFunction runs an unmodified aws-lambda-go function: over HTTP as
// a function URL, through the CLI, and through the real AWS SDK client.
func TestAWSFunction(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	name := s.fn("awsfn")
	s.mustLambda("deploy", "testdata/aws-fn", "--name", name)
	if res := s.mustLambda("describe", name, "-o", "json"); !strings.Contains(res.stdout, `"protocol": "aws"`) {
		t.Errorf("protocol not detected: %s", res.stdout)
	}

	// HTTP requests arrive as function URL events; the response maps back.
	resp, body := s.request("GET", s.host(name), "/hello?name=World", nil)
	if resp.StatusCode != 201 || resp.Header.Get("X-From") != "aws-fn" {
		t.Errorf("function URL: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	checkJSON(t, "function URL body", body, `{"message":"Hello, World!","path":"/hello"}`)

	res := s.mustLambda("invoke", name, "--data", `{"name":"CLI"}`)
	if !strings.Contains(res.stdout, `"message":"Hello, CLI!"`) || !strings.Contains(res.stdout, `"has_deadline":true`) || !strings.Contains(res.stdout, "arn:aws:lambda:") {
		t.Errorf("invoke: %s", res.stdout)
	}
	if res := s.lambda("invoke", name, "--data", `{"fail":true}`); res.code == 0 || !strings.Contains(res.stdout, "asked to fail") {
		t.Errorf("handled error: %+v", res)
	}

	// Real credentials, verified by SigV4: the ID of a key as access key
	// ID, its secret as secret access key.
	var key struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(s.mustLambda("keys", "create", "sdk-"+name, "--scope", "invoke", "-o", "json").stdout), &key); err != nil || key.ID == "" {
		t.Fatalf("keys create -o json: %v %+v", err, key)
	}
	sdkClient := func(id, secret string) *awslambda.Client {
		return awslambda.New(awslambda.Options{
			BaseEndpoint: aws.String(s.url("")),
			Region:       "us-east-1",
			Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		})
	}
	client := sdkClient(key.ID, key.Secret)
	ctx := context.Background()
	// A wrong secret or an unknown key answers as Lambda does, 403 with
	// the exception's name, and invokes nothing.
	for _, bad := range []struct{ id, secret, code string }{
		{key.ID, key.Secret + "x", "InvalidSignatureException"},
		{"AKIDEXAMPLE", "secret", "UnrecognizedClientException"},
	} {
		_, err := sdkClient(bad.id, bad.secret).Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{}`)})
		var apiErr smithy.APIError
		var status interface{ HTTPStatusCode() int }
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != bad.code || !errors.As(err, &status) || status.HTTPStatusCode() != 403 {
			t.Errorf("SDK with key %s and a wrong secret or none of ours: %v; want 403 %s", bad.id, err, bad.code)
		}
	}
	out, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"name":"SDK"}`), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatalf("SDK invoke: %v", err)
	}
	logs, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if out.StatusCode != 200 || out.FunctionError != nil || !strings.Contains(string(out.Payload), "Hello, SDK!") || !strings.Contains(string(logs), `invoked with {"name":"SDK"}`) || aws.ToString(out.ExecutedVersion) != "1" {
		t.Errorf("SDK invoke: %d %v %s logs %q version %v", out.StatusCode, out.FunctionError, out.Payload, logs, aws.ToString(out.ExecutedVersion))
	}
	out, err = client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"fail":true}`)})
	if err != nil || aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), "asked to fail") {
		t.Errorf("SDK function error: %v %+v", err, out)
	}
	// The Invoke API's ClientContext reaches the function's
	// lambdacontext, as on Lambda; a bad one is refused and runs nothing.
	cc := base64.StdEncoding.EncodeToString([]byte(`{"client":{"app_title":"e2e"},"custom":{"user":"caf\u00e9"},"env":{}}`))
	out, err = client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"name":"cc"}`), ClientContext: aws.String(cc)})
	if err != nil {
		t.Errorf("SDK invoke with a client context: %v", err)
	} else if out.FunctionError != nil || !strings.Contains(string(out.Payload), `"client_custom":{"user":"café"}`) || !strings.Contains(string(out.Payload), `"client_app":"e2e"`) {
		t.Errorf("SDK invoke with a client context: function error %v, answer %s", aws.ToString(out.FunctionError), out.Payload)
	}
	_, err = client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{}`), ClientContext: aws.String("{not base64}")})
	var badContent *types.InvalidRequestContentException
	if !errors.As(err, &badContent) {
		t.Errorf("SDK invoke with a client context not base64: %v, want InvalidRequestContentException", err)
	}
	dry, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(name), InvocationType: types.InvocationTypeDryRun})
	if err != nil || dry.StatusCode != 204 {
		t.Errorf("DryRun: %v %+v", err, dry)
	}
	_, err = client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("nosuch"), Payload: []byte(`{}`)})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("unknown function: %v", err)
	}
	arn := "arn:aws:lambda:us-east-1:000000000000:function:" + name
	if out, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(arn), Payload: []byte(`{"name":"ARN"}`)}); err != nil || !strings.Contains(string(out.Payload), "Hello, ARN!") {
		t.Errorf("invoke by ARN: %v", err)
	}

	// A panic fails that invocation and takes its instance down (issue 7,
	// defect 10): the shim's answer says so and the gateway drops the
	// instance at once, so the very next invocation succeeds, on a new
	// instance, without any retry by the client.
	out, err = client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"panic":true}`)})
	if err != nil || aws.ToString(out.FunctionError) != "Unhandled" {
		t.Errorf("panic: %v %+v", err, out)
	}
	out, err = client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"name":"again"}`)})
	if err != nil || out.FunctionError != nil || !strings.Contains(string(out.Payload), "Hello, again!") {
		t.Errorf("the invocation right after a panic failed: %v %+v", err, out)
	}

	// The same over HTTP, checking which instance serves.
	before := runningInstances(t, s, name)
	if len(before) == 0 {
		t.Fatalf("no running instance before the panic")
	}
	resp, body = s.request("GET", s.host(name), "/hello?panic=1", nil)
	if resp.StatusCode != 502 || resp.Header.Get("X-Lambda-Function-Error") != "Unhandled" || resp.Header.Get("X-Lambda-Instance-Failed") != "" {
		t.Errorf("panic over HTTP: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, body = s.request("GET", s.host(name), "/hello?name=next", nil)
	if resp.StatusCode != 201 || resp.Header.Get("X-Lambda-Cold-Start") != "true" {
		t.Errorf("the request right after a panic: %d cold start %q %s", resp.StatusCode, resp.Header.Get("X-Lambda-Cold-Start"), body)
	}
	after := runningInstances(t, s, name)
	for id := range after {
		if before[id] {
			t.Errorf("the panicked instance %s still serves: %v", id, after)
		}
	}
	if len(after) == 0 {
		t.Errorf("no instance serves after the panic")
	}
	s.mustLambda("delete", name)
}

// runningInstances are the IDs of name's instances that `lambda describe`
// shows running and not draining.
func runningInstances(t *testing.T, s *server, name string) map[string]bool {
	t.Helper()
	var d struct {
		Instances []struct {
			ID      string `json:"id"`
			Running bool   `json:"running"`
			State   string `json:"state"`
		} `json:"instances"`
	}
	res := s.mustLambda("describe", name, "-o", "json")
	if err := json.Unmarshal([]byte(res.stdout), &d); err != nil {
		t.Fatalf("describe -o json: %v\n%s", err, res.stdout)
	}
	ids := map[string]bool{}
	for _, in := range d.Instances {
		if in.Running && in.State != "draining" {
			ids[in.ID] = true
		}
	}
	return ids
}
