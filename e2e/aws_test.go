package e2e

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestAWSFunction runs an unmodified aws-lambda-go function: over HTTP as
// a function URL, through the CLI, and through the real AWS SDK client.
func TestAWSFunction(t *testing.T) {
	requireDocker(t)
	s := startServer(t)
	prepareRuntimes(t, s)
	cleanupFunction(t, "awsfn")
	s.mustLambda("deploy", "testdata/aws-fn", "--name", "awsfn")
	if res := s.mustLambda("describe", "awsfn", "-o", "json"); !strings.Contains(res.stdout, `"protocol": "aws"`) {
		t.Errorf("protocol not detected: %s", res.stdout)
	}

	// HTTP requests arrive as function URL events; the response maps back.
	resp, body := s.request("GET", s.host("awsfn"), "/hello?name=World", nil)
	if resp.StatusCode != 201 || resp.Header.Get("X-From") != "aws-fn" {
		t.Errorf("function URL: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	checkJSON(t, "function URL body", body, `{"message":"Hello, World!","path":"/hello"}`)

	res := s.mustLambda("invoke", "awsfn", "--data", `{"name":"CLI"}`)
	if !strings.Contains(res.stdout, `"message":"Hello, CLI!"`) || !strings.Contains(res.stdout, `"has_deadline":true`) || !strings.Contains(res.stdout, "arn:aws:lambda:") {
		t.Errorf("invoke: %s", res.stdout)
	}
	if res := s.lambda("invoke", "awsfn", "--data", `{"fail":true}`); res.code == 0 || !strings.Contains(res.stdout, "asked to fail") {
		t.Errorf("handled error: %+v", res)
	}

	client := awslambda.New(awslambda.Options{
		BaseEndpoint: aws.String(s.url("")),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
	ctx := context.Background()
	out, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("awsfn"), Payload: []byte(`{"name":"SDK"}`), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatalf("SDK invoke: %v", err)
	}
	logs, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if out.StatusCode != 200 || out.FunctionError != nil || !strings.Contains(string(out.Payload), "Hello, SDK!") || !strings.Contains(string(logs), `invoked with {"name":"SDK"}`) || aws.ToString(out.ExecutedVersion) != "1" {
		t.Errorf("SDK invoke: %d %v %s logs %q version %v", out.StatusCode, out.FunctionError, out.Payload, logs, aws.ToString(out.ExecutedVersion))
	}
	out, err = client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("awsfn"), Payload: []byte(`{"fail":true}`)})
	if err != nil || aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), "asked to fail") {
		t.Errorf("SDK function error: %v %+v", err, out)
	}
	dry, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("awsfn"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || dry.StatusCode != 204 {
		t.Errorf("DryRun: %v %+v", err, dry)
	}
	_, err = client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("nosuch"), Payload: []byte(`{}`)})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("unknown function: %v", err)
	}
	arn := "arn:aws:lambda:us-east-1:000000000000:function:awsfn"
	if out, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(arn), Payload: []byte(`{"name":"ARN"}`)}); err != nil || !strings.Contains(string(out.Payload), "Hello, ARN!") {
		t.Errorf("invoke by ARN: %v", err)
	}

	// A panic fails that invocation; the instance is replaced and the next
	// one succeeds.
	out, err = client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("awsfn"), Payload: []byte(`{"panic":true}`)})
	if err != nil || out.FunctionError == nil {
		t.Errorf("panic: %v %+v", err, out)
	}
	waitFor(t, 30e9, func() bool {
		out, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("awsfn"), Payload: []byte(`{"name":"again"}`)})
		return err == nil && out.FunctionError == nil && strings.Contains(string(out.Payload), "Hello, again!")
	})
	s.mustLambda("delete", "awsfn")
}
