package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestAWSSDKProvidedFunction creates a provided.al2023 function from a
// zip holding an aws-lambda-go bootstrap with aws-sdk-go-v2, waits for it
// with the SDK's waiter and invokes it.
func TestAWSSDKProvidedFunction(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	client := awsSDK(s, newAWSKey(t, s, "awssdk-"+s.fn("k")))
	ctx := context.Background()
	name := s.fn("awsgo")
	out, err := client.CreateFunction(ctx, &awslambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::000000000000:role/go"), Code: &types.FunctionCode{ZipFile: bootstrapZip(t)},
		Architectures: []types.Architecture{types.ArchitectureX8664},
	})
	if err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	if out.State != types.StatePending || aws.ToString(out.FunctionArn) != "arn:aws:lambda:us-east-1:000000000000:function:"+name {
		t.Errorf("CreateFunction answered %s %s", out.State, aws.ToString(out.FunctionArn))
	}
	err = awslambda.NewFunctionActiveV2Waiter(client).Wait(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String(name)}, 3*time.Minute)
	if err != nil {
		got, _ := client.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String(name)})
		if got != nil {
			t.Fatalf("FunctionActiveV2 waiter: %v (state %s: %s)", err, got.Configuration.State, aws.ToString(got.Configuration.StateReason))
		}
		t.Fatalf("FunctionActiveV2 waiter: %v", err)
	}
	res, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"name":"provided"}`)})
	if err != nil || res.FunctionError != nil || !strings.Contains(string(res.Payload), "Hello, provided!") {
		t.Fatalf("Invoke: %v %+v", err, res)
	}
	cfg, err := client.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
	if err != nil || cfg.Runtime != types.RuntimeProvidedal2023 || aws.ToString(cfg.Handler) != "bootstrap" || cfg.PackageType != types.PackageTypeZip {
		t.Errorf("GetFunctionConfiguration: %v %+v", err, cfg)
	}
	if _, err := client.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String(name)}); err != nil {
		t.Errorf("DeleteFunction: %v", err)
	}
}

// TestAWSSDKBadInput: what Lambda refuses is refused with its exception
// and status, and so is what this server cannot serve.
func TestAWSSDKBadInput(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	client := awsSDK(s, newAWSKey(t, s, "awsbad-"+s.fn("k")))
	ctx := context.Background()
	py := pythonZip(t, "bad")
	create := func(name string, rt types.Runtime, handler string, zip []byte, layers ...string) error {
		_, err := client.CreateFunction(ctx, &awslambda.CreateFunctionInput{
			FunctionName: aws.String(name), Runtime: rt, Handler: aws.String(handler), Role: aws.String("r"),
			Code: &types.FunctionCode{ZipFile: zip}, Layers: layers,
		})
		return err
	}
	name := s.fn("awsbad")
	for _, tc := range []struct {
		what   string
		err    error
		code   string
		status int
		msg    string
	}{
		{"unsupported runtime", create(name, types.RuntimeJava21, "x.Handler::handle", py), "InvalidParameterValueException", 400, "python3.9 to python3.13"},
		{"corrupt zip", create(name, types.RuntimePython312, "lambda_function.lambda_handler", []byte("PK\x03\x04 not a zip")), "InvalidParameterValueException", 400, "Could not unzip"},
		{"handler missing", create(name, types.RuntimePython312, "missing.handler", py), "InvalidParameterValueException", 400, "missing.py"},
		{"name too long", create(strings.Repeat("a", 65), types.RuntimePython312, "lambda_function.lambda_handler", py), "ValidationException", 400, "functionName"},
		{"name not a DNS label", create("My_Function", types.RuntimePython312, "lambda_function.lambda_handler", py), "InvalidParameterValueException", 400, "DNS"},
		{"layers", create(name, types.RuntimePython312, "lambda_function.lambda_handler", py, "arn:aws:lambda:us-east-1:000000000000:layer:x:1"), "InvalidParameterValueException", 400, "Layers"},
	} {
		awsAPIError(t, tc.what, tc.err, tc.code, tc.status)
		if tc.err != nil && !strings.Contains(tc.err.Error(), tc.msg) {
			t.Errorf("%s: %v, want a message naming %q", tc.what, tc.err, tc.msg)
		}
	}
	_, err := client.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String(name)})
	awsAPIError(t, "GetFunction of a function never created", err, "ResourceNotFoundException", 404)
	_, err = client.PutFunctionEventInvokeConfig(ctx, &awslambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String(name), MaximumRetryAttempts: aws.Int32(5)})
	awsAPIError(t, "MaximumRetryAttempts 5", err, "ValidationException", 400)
}
